import { arch } from "node:os";

/**
 * A seccomp filter (classic BPF, as bubblewrap's `--seccomp` takes it) that refuses, with EPERM,
 * the system calls sandboxed code has no business making: reaching into other processes
 * (ptrace, pidfd_getfd, process_vm_*), the kernel keyring, BPF, userfaultfd, every call of the
 * mount family, new namespaces, kernel modules, io_uring and setting the clock. A call made
 * through another ABI (32-bit x86 on x86_64, x32) kills the process: no table covers it.
 */
interface SyscallTable {
  auditArch: number;
  /** Syscall numbers at or above this belong to another ABI (x32 on x86_64). */
  foreignAbiBit: number | null;
  numbers: Record<DeniedCall, number>;
}

const DENIED = [
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "pidfd_getfd",
  "kcmp",
  "keyctl",
  "add_key",
  "request_key",
  "bpf",
  "userfaultfd",
  "perf_event_open",
  "mount",
  "umount2",
  "pivot_root",
  "chroot",
  "open_tree",
  "move_mount",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "mount_setattr",
  "unshare",
  "setns",
  "open_by_handle_at",
  "name_to_handle_at",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "swapon",
  "swapoff",
  "reboot",
  "acct",
  "quotactl",
  "clock_settime",
  "clock_adjtime",
  "settimeofday",
  "adjtimex",
] as const;
type DeniedCall = (typeof DENIED)[number];

const TABLES: Record<string, SyscallTable> = {
  x64: {
    auditArch: 0xc000003e,
    foreignAbiBit: 0x40000000,
    numbers: {
      ptrace: 101,
      process_vm_readv: 310,
      process_vm_writev: 311,
      pidfd_getfd: 438,
      kcmp: 312,
      keyctl: 250,
      add_key: 248,
      request_key: 249,
      bpf: 321,
      userfaultfd: 323,
      perf_event_open: 298,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      chroot: 161,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      unshare: 272,
      setns: 308,
      open_by_handle_at: 304,
      name_to_handle_at: 303,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      kexec_load: 246,
      kexec_file_load: 320,
      init_module: 175,
      finit_module: 313,
      delete_module: 176,
      swapon: 167,
      swapoff: 168,
      reboot: 169,
      acct: 163,
      quotactl: 179,
      clock_settime: 227,
      clock_adjtime: 305,
      settimeofday: 164,
      adjtimex: 159,
    },
  },
  arm64: {
    auditArch: 0xc00000b7,
    foreignAbiBit: null,
    numbers: {
      ptrace: 117,
      process_vm_readv: 270,
      process_vm_writev: 271,
      pidfd_getfd: 438,
      kcmp: 272,
      keyctl: 219,
      add_key: 217,
      request_key: 218,
      bpf: 280,
      userfaultfd: 282,
      perf_event_open: 241,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      chroot: 51,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      unshare: 97,
      setns: 268,
      open_by_handle_at: 265,
      name_to_handle_at: 264,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      kexec_load: 104,
      kexec_file_load: 294,
      init_module: 105,
      finit_module: 273,
      delete_module: 106,
      swapon: 224,
      swapoff: 225,
      reboot: 142,
      acct: 89,
      quotactl: 60,
      clock_settime: 112,
      clock_adjtime: 266,
      settimeofday: 170,
      adjtimex: 171,
    },
  },
};

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LOAD_WORD_ABS = 0x20;
const JUMP_EQ = 0x15;
const JUMP_GE = 0x35;
const RETURN = 0x06;
const ALLOW = 0x7fff0000;
const KILL_PROCESS = 0x80000000;
const ERRNO_EPERM = 0x00050000 | 1;
/** Offsets in struct seccomp_data. */
const NR = 0;
const ARCH = 4;

/** The calls the filter refuses, for the README and the tests. */
export const deniedCalls: readonly string[] = DENIED;

/** The compiled filter for this machine's architecture, or null where no table exists. */
export function seccompFilter(machineArch: string = arch()): Buffer | null {
  const table = TABLES[machineArch];
  if (!table) return null;
  const program: Array<[number, number, number, number]> = [
    [LOAD_WORD_ABS, 0, 0, ARCH],
    [JUMP_EQ, 1, 0, table.auditArch],
    [RETURN, 0, 0, KILL_PROCESS],
    [LOAD_WORD_ABS, 0, 0, NR],
  ];
  const denied = DENIED.map((name) => table.numbers[name]);
  // Every jump below lands on the final "refuse" instruction, past the "allow" one.
  if (table.foreignAbiBit !== null) program.push([JUMP_GE, denied.length + 1, 0, table.foreignAbiBit]);
  denied.forEach((nr, i) => {
    program.push([JUMP_EQ, denied.length - i, 0, nr]);
  });
  program.push([RETURN, 0, 0, ALLOW], [RETURN, 0, 0, ERRNO_EPERM]);
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    bytes.writeUInt16LE(code, i * 8);
    bytes.writeUInt8(jt, i * 8 + 2);
    bytes.writeUInt8(jf, i * 8 + 3);
    bytes.writeUInt32LE(k, i * 8 + 4);
  });
  return bytes;
}
