"""The supervisor inside one sandbox.

It runs the sandbox's code contexts (kernels) and commands, and speaks JSON lines with the
sandbox host: requests on stdin, events on stdout. It is single-threaded (one selector loop),
so it can fork Python kernels without exec: a new Python context costs about a millisecond.
"""

import base64
import codecs
import ctypes
import errno
import fcntl
import json
import os
import selectors
import signal
import struct
import sys
import termios

import envd_fs
import python_kernel

# Nothing of the host's may reach the code: close whatever descriptor was inherited beyond stdio.
os.closerange(3, os.sysconf("SC_OPEN_MAX"))
REQUESTS = os.dup(0)
PROTO = os.dup(1)
CONFIG = json.loads(sys.argv[1])
RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
HOME = CONFIG["home"]
DEVNULL = os.open(os.devnull, os.O_RDWR)
os.dup2(DEVNULL, 0)
os.dup2(DEVNULL, 1)

sel = selectors.DefaultSelector()
outbox = bytearray()
# The host reads lines of at most 1 MiB: a larger event goes out in chunks it reassembles.
CHUNK_CHARS = 256 * 1024
# Past this much unsent output, children's pipes are not read until the host catches up.
HIGH_WATER = 8 * 1024 * 1024
LOW_WATER = 1024 * 1024
# A kernel's event line (a result with its images) may be at most this large.
MAX_KERNEL_EVENT = 64 * 1024 * 1024
READ_BUDGET = 1024 * 1024


def emit(event):
    line = json.dumps(event, separators=(",", ":"))
    if len(line) <= CHUNK_CHARS:
        outbox.extend(line.encode() + b"\n")
        return
    for start in range(0, len(line), CHUNK_CHARS):
        piece = line[start : start + CHUNK_CHARS]
        last = start + CHUNK_CHARS >= len(line)
        outbox.extend(json.dumps({"type": "chunk", "data": piece, "last": last}, separators=(",", ":")).encode() + b"\n")


def set_dumpable(dumpable):
    """The supervisor is not dumpable: code in the sandbox, though the same user, cannot open
    /proc/1/fd or /proc/1/mem. Its children are, so that they own their own /proc entries."""
    try:
        ctypes.CDLL(None).prctl(4, int(dumpable), 0, 0, 0)  # PR_SET_DUMPABLE
    except OSError:
        pass


def flush_outbox():
    while outbox:
        try:
            written = os.write(PROTO, outbox)
        except BlockingIOError:
            return
        del outbox[:written]


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def set_nonblocking(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def read_available(fd, budget=None):
    """The bytes readable now (up to `budget`); None at end of file."""
    chunks = []
    size = 0
    while budget is None or size < budget:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        except OSError as e:
            if e.errno == errno.EIO:
                return None if not chunks else b"".join(chunks)
            raise
        if not chunk:
            return b"".join(chunks) if chunks else None
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class Sink:
    """A non-blocking writer to a child's pipe, buffering what the pipe cannot take yet."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = bytearray()
        self.close_when_drained = False
        set_nonblocking(fd)

    def write(self, data):
        if self.fd is None:
            return
        self.buf.extend(data)
        self.pump()

    def pump(self):
        while self.buf and self.fd is not None:
            try:
                written = os.write(self.fd, self.buf)
            except BlockingIOError:
                break
            except BrokenPipeError:
                self.buf.clear()
                break
            del self.buf[:written]
        if not self.buf and self.close_when_drained:
            self.close()

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def close_later(self):
        self.close_when_drained = True
        self.pump()


sinks = []
children = {}  # pid -> Kernel | Command


def spawn(target, fds, cwd, env, terminal=False):
    """Fork a child with `fds` (child fd -> our fd) as its only open descriptors.

    `target` is an argv list to exec, or a function to run in the forked Python process. With
    `terminal`, the child leads a session of its own whose controlling terminal is its stdin.
    """
    pid = os.fork()
    if pid and terminal:
        return pid
    if pid:
        # Also from this side, so that a signal to the group right after the start cannot miss it.
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child has already done it, or exec'd
        return pid
    try:
        set_dumpable(True)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if terminal:
            os.setsid()
        else:
            os.setpgid(0, 0)
        # When the sandbox runs out of memory, the kernel kills user code before the supervisor.
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
        moved = {child_fd: fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for child_fd, fd in fds.items()}
        for child_fd, fd in moved.items():
            os.dup2(fd, child_fd, inheritable=True)
        os.closerange(max(fds) + 1, 65536)
        if terminal:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        os.chdir(cwd)
        if callable(target):
            os.environ.clear()
            os.environ.update(env)
            target()
            os._exit(0)
        os.execvpe(target[0], target, env)
    except BaseException as e:  # noqa: BLE001 - report any failure to start, then die
        os.write(2, f"{e}\n".encode())
        os._exit(127)


streams = set()
throttled = False


def throttle():
    """Stops reading children's output while the host is behind, and starts again once it caught up."""
    global throttled
    if not throttled and len(outbox) > HIGH_WATER:
        throttled = True
        for s in streams:
            sel.unregister(s.fd)
    elif throttled and len(outbox) < LOW_WATER:
        throttled = False
        for s in streams:
            sel.register(s.fd, selectors.EVENT_READ, s)


class Stream:
    """One output pipe of a child, decoded to text or passed as base64."""

    def __init__(self, owner, name, fd, mode):
        self.owner, self.name, self.fd, self.mode = owner, name, fd, mode
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace") if mode == "text" else None
        set_nonblocking(fd)
        streams.add(self)
        if not throttled:
            sel.register(fd, selectors.EVENT_READ, self)

    def on_ready(self):
        if self.fd is None:
            return  # closed by an earlier event of the same wake-up
        data = read_available(self.fd, READ_BUDGET)
        if data:
            self.owner.output(self.name, self.decode(data))
        if data is None:
            self.close()
            self.owner.stream_closed(self)

    def drain(self):
        if self.fd is not None:
            data = read_available(self.fd)
            if data:
                self.owner.output(self.name, self.decode(data))

    def decode(self, data):
        if self.mode == "text":
            return self.decoder.decode(data)
        return base64.b64encode(data).decode() if self.mode == "base64" else data

    def close(self):
        if self.fd is not None:
            if not throttled:
                sel.unregister(self.fd)
            streams.discard(self)
            os.close(self.fd)
            self.fd = None


class Command:
    """A process started by envd's process.Start."""

    def __init__(self, req):
        self.id = req["id"]
        self.master = None
        env = dict(os.environ)
        user = req.get("user")
        if user:
            env.update({"HOME": home_of(user), "USER": user, "LOGNAME": user})
        env.update(req.get("env") or {})
        cwd = req.get("cwd") or home_of(user)
        if req.get("pty"):
            self.start_terminal(req, env, cwd)
            return
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdin = in_r if req.get("stdin") else DEVNULL
        try:
            self.pid = spawn(req["argv"], {0: stdin, 1: out_w, 2: err_w}, cwd, env)
        except OSError:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            raise
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        self.stdin = Sink(in_w)
        sinks.append(self.stdin)
        if not req.get("stdin"):
            self.stdin.close()
        self.streams = [Stream(self, "stdout", out_r, "base64"), Stream(self, "stderr", err_r, "base64")]
        self.status = None
        children[self.pid] = self
        commands[self.id] = self
        emit({"id": self.id, "type": "start", "pid": self.pid})

    def start_terminal(self, req, env, cwd):
        """The command on a pseudo-terminal: its output comes as `pty` data, its input goes to it."""
        master, slave = os.openpty()
        env.setdefault("TERM", "xterm-256color")
        try:
            self.resize(req["pty"], master)
            self.pid = spawn(req["argv"], {0: slave, 1: slave, 2: slave}, cwd, env, terminal=True)
        except OSError:
            os.close(master)
            os.close(slave)
            raise
        os.close(slave)
        self.master = master
        self.stdin = Sink(os.dup(master))
        sinks.append(self.stdin)
        self.streams = [Stream(self, "pty", master, "base64")]
        self.status = None
        children[self.pid] = self
        commands[self.id] = self
        emit({"id": self.id, "type": "start", "pid": self.pid})

    def resize(self, size, fd=None):
        fd = self.master if fd is None else fd
        if fd is not None:
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", int(size.get("rows", 24)), int(size.get("cols", 80)), 0, 0))

    def output(self, name, data):
        emit({"id": self.id, "type": name, "data": data})

    def stream_closed(self, _stream):
        self.maybe_end()

    def exited(self, status):
        self.status = status
        self.maybe_end()

    def maybe_end(self):
        if self.status is None or any(s.fd is not None for s in self.streams):
            return
        for s in self.streams:
            s.close()
        self.stdin.close()
        commands.pop(self.id, None)
        code = os.waitstatus_to_exitcode(self.status)
        if code < 0:
            description = f"signal: {signal_name(-code).lower().removeprefix('sig')}"
            code = -1
        else:
            description = f"exit status {code}"
        emit({"id": self.id, "type": "end", "exitCode": code, "status": description})


commands = {}
kernels = {}


class Kernel:
    """One code context: a child process that runs code cells one after another."""

    def __init__(self, ctx, lang, cwd):
        self.ctx, self.lang, self.cwd = ctx, lang, cwd
        req_r, req_w = os.pipe()
        evt_r, evt_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        fds = {0: DEVNULL, 1: out_w, 2: err_w, 3: req_r, 4: evt_w}
        env = dict(os.environ)
        if lang in ("javascript", "typescript"):
            target = [CONFIG["node"], os.path.join(RUNTIME_DIR, "js-kernel.cjs")]
        elif lang == "bash":
            target = bash_kernel_main
        else:
            target = python_kernel_main
        try:
            self.pid = spawn(target, fds, cwd, env)
        except OSError:
            for fd in (req_r, req_w, evt_r, evt_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            raise
        for fd in (req_r, evt_w, out_w, err_w):
            os.close(fd)
        self.requests = Sink(req_w)
        sinks.append(self.requests)
        self.events = Stream(self, "events", evt_r, "raw")
        self.event_buf = bytearray()
        self.streams = [Stream(self, "stdout", out_r, "text"), Stream(self, "stderr", err_r, "text")]
        self.pending = []  # execution ids, oldest (running) first; only the first is sent to the kernel
        self.cells = {}  # execution id -> the cell, until it is sent
        self.alive = True
        children[self.pid] = self

    def run(self, req):
        self.pending.append(req["id"])
        self.cells[req["id"]] = {"id": req["id"], "code": req["code"], "env": req.get("env") or {}}
        if len(self.pending) == 1:
            self.send_next()

    def send_next(self):
        if self.pending:
            cell = self.cells.pop(self.pending[0])
            self.requests.write(json.dumps(cell).encode() + b"\n")

    def interrupt(self, exec_id):
        """The client of `exec_id` is gone: a waiting cell is dropped, a running one interrupted
        (SIGINT to the kernel's process group, as Jupyter interrupts a kernel)."""
        if exec_id not in self.pending:
            return
        if self.pending[0] != exec_id:
            self.pending.remove(exec_id)
            self.cells.pop(exec_id, None)
            return
        try:
            os.killpg(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def output(self, name, data):
        if name == "events":
            self.event_buf.extend(data)
            if len(self.event_buf) > MAX_KERNEL_EVENT and b"\n" not in self.event_buf:
                self.kill_for(f"the kernel sent an event over {MAX_KERNEL_EVENT} bytes")
                return
            while b"\n" in self.event_buf:
                line, _, rest = self.event_buf.partition(b"\n")
                self.event_buf = bytearray(rest)
                try:
                    event = json.loads(line)
                except ValueError:
                    self.kill_for("the kernel broke its protocol")
                    return
                if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                    self.kill_for("the kernel broke its protocol")
                    return
                self.on_event(event)
            return
        if self.pending and data:
            emit({"id": self.pending[0], "type": name, "text": data})

    def on_event(self, event):
        for s in self.streams:
            s.drain()
        if not self.pending:
            return
        event["id"] = self.pending[0]
        emit(event)
        if event["type"] == "end":
            self.pending.pop(0)
            self.send_next()

    def stream_closed(self, stream):
        if stream is self.events:
            self.died("the kernel exited")

    def exited(self, status):
        code = os.waitstatus_to_exitcode(status)
        reason = f"killed by signal {signal_name(-code)}" if code < 0 else f"exited with code {code}"
        self.died(f"the kernel {reason}")

    def died(self, reason):
        if not self.alive:
            return
        self.alive = False
        for s in self.streams:
            s.drain()
            s.close()
        self.events.close()
        self.requests.close()
        if kernels.get(self.ctx) is self:
            del kernels[self.ctx]
        for exec_id in self.pending:
            value = f"{reason} while running this code; its state is lost and the next run starts afresh"
            emit({"id": exec_id, "type": "error", "name": "KernelDied", "value": value, "traceback": ""})
            emit({"id": exec_id, "type": "end"})
        self.pending.clear()
        self.cells.clear()

    def kill(self):
        self.kill_for("the context was removed")

    def kill_for(self, reason):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.died(reason)


def python_kernel_main():
    if ipython_kernel is not None:
        ipython_kernel.serve(3, 4)
    else:
        python_kernel.serve(3, 4)


def prepare_ipython():
    """With IPython installed, Python contexts are IPython's, forked from a shell built now."""
    if CONFIG.get("python_kernel") != "ipython":
        return None
    import ipython_kernel as module  # noqa: PLC0415 - only when IPython backs contexts

    try:
        module.prepare()
    except Exception as e:  # noqa: BLE001 - the fast kernel still runs the code
        print(f"supervisor: IPython failed to start ({type(e).__name__}: {e}); using the fast kernel", file=sys.stderr)
        return None
    return module


ipython_kernel = None


def bash_kernel_main():
    sys.path.insert(0, RUNTIME_DIR)
    import bash_kernel  # noqa: PLC0415 - only the forked kernel needs it

    bash_kernel.serve(3, 4)


contexts = {}  # ctx -> working directory, so a context restarted after a crash keeps it


def kernel_for(ctx, lang, cwd=None):
    if cwd is not None:
        contexts[ctx] = cwd
    kernel = kernels.get(ctx)
    if kernel is None:
        kernel = kernels[ctx] = Kernel(ctx, lang, contexts.get(ctx, HOME))
    return kernel


ROOT_HOME = CONFIG.get("rootHome") or HOME


def home_of(user):
    """The home of the user a request names: root's, or the sandbox user's."""
    return ROOT_HOME if user == "root" else HOME


def sandbox_path(path, user=None):
    """A path as the sandbox's code names it: relative to the user's home, `~` expanded."""
    home = home_of(user)
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    elif path.startswith("/home/user") and HOME != "/home/user":
        path = HOME + path[len("/home/user") :]
    elif path.startswith("/root") and ROOT_HOME != "/root" and (len(path) == 5 or path[5] == "/"):
        path = ROOT_HOME + path[len("/root") :]
    return os.path.normpath(os.path.join(home, path))


FILE_ERRORS = {errno.ENOENT: "not_found", errno.EACCES: "permission", errno.EPERM: "permission"}


def file_error(req, error):
    code = FILE_ERRORS.get(error.errno, "invalid")
    emit({"id": req["id"], "type": "file_error", "code": code, "message": f"{error.strerror}: {req['path']}"})


MAX_FILE_BYTES = 64 * 1024 * 1024


def read_file(req):
    path = sandbox_path(req["path"], req.get("user"))
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            message = f"{req['path']} is over {MAX_FILE_BYTES} bytes, more than this host reads at once"
            emit({"id": req["id"], "type": "file_error", "code": "invalid", "message": message})
            return
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        file_error(req, e)
        return
    emit({"id": req["id"], "type": "file_data", "data": base64.b64encode(data).decode()})


def write_file(req):
    path = sandbox_path(req["path"], req.get("user"))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(req["data"]))
        envd_fs.write_metadata(path, req.get("metadata"))
    except OSError as e:
        file_error(req, e)
        return
    except envd_fs.FsError as e:
        emit({"id": req["id"], "type": "file_error", "code": "invalid", "message": str(e)})
        return
    written = {"id": req["id"], "type": "file_written", "path": path, "name": os.path.basename(path)}
    metadata = envd_fs.read_metadata(path)
    if metadata:
        written["metadata"] = metadata
    emit(written)


def handle(req):
    op = req["op"]
    if op == "configure":
        # A machine is started ahead of demand; this makes it a particular sandbox.
        os.environ.update(req["env"])
        for ctx, lang in req["prestart"].items():
            kernel_for(ctx, lang)
    elif op == "exec":
        try:
            kernel = kernel_for(req["ctx"], req["lang"])
        except OSError as e:
            value = f"the code context could not start: {e}"
            emit({"id": req["id"], "type": "error", "name": "ContextStartError", "value": value, "traceback": ""})
            emit({"id": req["id"], "type": "end"})
            return
        kernel.run(req)
    elif op == "interrupt":
        kernel = kernels.get(req["ctx"])
        if kernel:
            kernel.interrupt(req["target"])
    elif op == "context":
        kernel_for(req["ctx"], req["lang"], req.get("cwd"))
    elif op == "context_remove":
        contexts.pop(req["ctx"], None)
        kernel = kernels.get(req["ctx"])
        if kernel:
            kernel.kill()
    elif op == "spawn":
        try:
            Command(req)
        except OSError as e:
            emit({"id": req["id"], "type": "spawn_error", "message": f"the process could not start: {e}"})
    elif op == "read_file":
        read_file(req)
    elif op == "write_file":
        write_file(req)
    elif op.startswith("fs_"):
        envd_fs.handle(req, emit, sel, lambda path: sandbox_path(path, req.get("user")))
    elif op == "stdin":
        cmd = commands.get(req["target"])
        if cmd:
            cmd.stdin.write(base64.b64decode(req["data"]))
    elif op == "pty_resize":
        cmd = commands.get(req["target"])
        if cmd:
            cmd.resize(req)
    elif op == "close_stdin":
        cmd = commands.get(req["target"])
        if cmd:
            cmd.stdin.close_later()
    elif op == "signal":
        cmd = commands.get(req["target"])
        if cmd:
            try:
                os.killpg(cmd.pid, req.get("signal", signal.SIGKILL))
            except ProcessLookupError:
                pass


class Requests:
    def __init__(self):
        self.buf = bytearray()
        set_nonblocking(REQUESTS)
        sel.register(REQUESTS, selectors.EVENT_READ, self)

    def on_ready(self):
        data = read_available(REQUESTS)
        if data is None:
            # The host is gone: a sandbox never outlives it.
            for pid in list(children):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os._exit(0)
        self.buf.extend(data)
        while b"\n" in self.buf:
            line, _, rest = self.buf.partition(b"\n")
            self.buf = bytearray(rest)
            try:
                handle(json.loads(line))
            except Exception as e:  # noqa: BLE001 - a bad request must not kill the sandbox
                emit({"type": "agent_error", "message": str(e)})


class ChildWatcher:
    def __init__(self):
        r, w = os.pipe()
        set_nonblocking(r)
        set_nonblocking(w)
        self.fd = r
        signal.set_wakeup_fd(w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        sel.register(r, selectors.EVENT_READ, self)

    def on_ready(self):
        read_available(self.fd)
        self.reap()

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = children.pop(pid, None)
            if child:
                child.exited(status)


def main():
    global ipython_kernel
    set_dumpable(False)
    ipython_kernel = prepare_ipython()
    set_nonblocking(PROTO)
    Requests()
    watcher = ChildWatcher()
    emit({"type": "ready"})
    while True:
        flush_outbox()
        throttle()
        for sink in sinks:
            sink.pump()
        sinks[:] = [s for s in sinks if s.fd is not None]
        wait = 0.05 if outbox or any(s.buf for s in sinks) else None
        for key, _ in sel.select(wait):
            try:
                key.data.on_ready()
            except Exception as e:  # noqa: BLE001 - one broken child must not end the sandbox
                print(f"supervisor: {type(e).__name__}: {e}", file=sys.stderr)
        try:
            watcher.reap()
        except Exception as e:  # noqa: BLE001 - as above
            print(f"supervisor: {type(e).__name__}: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
