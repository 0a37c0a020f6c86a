"""A bash code context: one long-lived shell, so `cd`, variables and functions persist.

Each cell is written to a file that the shell sources; the shell reports the cell's exit
status on a private descriptor. A cell that exits the shell loses the context's state, and the
next cell starts a new shell.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile

# `trap : INT`: an interrupt stops the running command, not the shell (its state stays).
LOOP = 'trap : INT; while IFS= read -r -u 63 __cell; do . "$__cell"; printf "%s\\n" "$?" >&62; done'


class Shell:
    def __init__(self):
        cells_r, self.cells_w = os.pipe()
        self.status_r, status_w = os.pipe()
        os.dup2(cells_r, 63)
        os.dup2(status_w, 62)
        self.process = subprocess.Popen(
            ["/bin/bash", "--noprofile", "--norc", "-c", LOOP],
            stdin=subprocess.DEVNULL,
            pass_fds=(62, 63),
        )
        for fd in (cells_r, status_w, 62, 63):
            os.close(fd)
        self.status = os.fdopen(self.status_r, "rb")

    def run(self, path):
        os.write(self.cells_w, (path + "\n").encode())
        line = self.status.readline()
        if not line:
            self.process.wait()
            return None
        return int(line)


def serve(requests_fd, events_fd):
    # An interrupt goes to the whole process group: the shell's command stops, this loop goes on.
    signal.signal(signal.SIGINT, lambda *_: None)
    cells_dir = tempfile.mkdtemp(prefix="bash-cells-")
    shell = None
    count = 0

    def emit(event):
        data = (json.dumps(event) + "\n").encode()
        while data:
            data = data[os.write(events_fd, data) :]

    with os.fdopen(requests_fd, "rb") as requests:
        for line in requests:
            cell = json.loads(line)
            count += 1
            path = os.path.join(cells_dir, f"cell-{count}.sh")
            exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in cell["env"].items())
            with open(path, "w") as f:
                f.write(exports + cell["code"] + "\n")
            if shell is None:
                shell = Shell()
            status = shell.run(path)
            os.unlink(path)
            sys.stdout.flush()
            if status is None:
                code = shell.process.returncode
                shell = None
                emit({"type": "error", "name": "ShellExited", "value": f"the shell exited with code {code}", "traceback": ""})
            elif status != 0:
                emit({"type": "error", "name": "NonZeroExit", "value": f"the cell exited with status {status}", "traceback": ""})
            emit({"type": "number_of_executions", "execution_count": count})
            emit({"type": "end"})
