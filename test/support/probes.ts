import { createHash } from "node:crypto";

/**
 * Python that hostile-code tests run inside sandboxes. Each prints one JSON line with what it
 * found, so a test asserts on data, not on prose.
 */

/** Tries every address and port at once; prints the ones that accepted a connection. */
export function connectProbe(addresses: string[], ports: number[]): string {
  return `
import errno, json, select, socket, time
targets = [(a, p) for a in ${JSON.stringify(addresses)} for p in ${JSON.stringify(ports)}]
reached, pending = [], {}
scopes = [i for i, _ in socket.if_nameindex()]
for host, port in targets:
    host = host.split("%")[0]
    six = ":" in host
    for scope in (scopes if host.startswith("fe80") else [0]):
        s = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            err = s.connect_ex((host, port, 0, scope) if six else (host, port))
        except OSError as e:
            err = e.errno
        if err == 0:
            reached.append(f"{host}:{port}")
            s.close()
        elif err == errno.EINPROGRESS:
            pending[s] = f"{host}:{port}"
        else:
            s.close()
deadline = time.time() + 3
while pending and time.time() < deadline:
    _, ready, _ = select.select([], list(pending), [], 0.2)
    for s in ready:
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            reached.append(pending[s])
        s.close()
        del pending[s]
print(json.dumps({"reached": reached, "interfaces": [n for _, n in socket.if_nameindex()], "routes": len(open("/proc/net/route").read().splitlines()) - 1}))
`;
}

/** Calls each refused system call directly; prints the errno each returned (0 means it worked). */
export const syscallProbe = `
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
    return ctypes.get_errno() if r == -1 else 0
pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
found = {}
found["ptrace_attach"] = sorted({call(101, 16, pid, 0, 0) for pid in pids})
pidfds = []
for pid in pids:
    try:
        pidfds.append(os.pidfd_open(pid))
    except OSError:
        pass  # gone meanwhile
found["pidfd_getfd"] = sorted({call(438, fd, n, 0) for fd in pidfds for n in range(3)})
found["process_vm_readv"] = sorted({call(310, pid, 0, 0, 0, 0, 0) for pid in pids})
found["keyctl"] = [call(250, 0, 0, 0, 0, 0)]
found["bpf"] = [call(321, 0, 0, 0)]
found["userfaultfd"] = [call(323, 0)]
found["mount"] = [call(165, 0, 0, 0, 0, 0)]
found["unshare_user"] = [call(272, 0x10000000)]
found["visible_pids"] = len(pids)
print(json.dumps(found))
`;

/**
 * Writes a marker into every descriptor of every other process it can open through /proc; prints
 * which it opened. The marker is derived inside the sandbox from `seed`
 * (see `markerOf`), so it is written nowhere but where the code puts it.
 */
export function descriptorProbe(seed: string): string {
  return `
import hashlib, json, os
marker = "marker-" + hashlib.sha256(${JSON.stringify(seed)}.encode()).hexdigest()[:24]
opened, refused = [], 0
me = str(os.getpid())
for pid in [p for p in os.listdir("/proc") if p.isdigit() and p != me]:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        refused += 1
        continue
    for fd in fds:
        path = f"/proc/{pid}/fd/{fd}"
        try:
            handle = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(handle, (marker + "\\n").encode())
            opened.append(path)
        except OSError:
            pass
        os.close(handle)
print(json.dumps({"opened": opened, "refused": refused}))
`;
}

/** The marker `descriptorProbe(seed)` writes. */
export function markerOf(seed: string): string {
  return `marker-${createHash("sha256").update(seed).digest("hex").slice(0, 24)}`;
}
