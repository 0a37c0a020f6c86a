"""A Python code context, notebook style: state persists from one cell to the next.

Cells arrive as JSON lines on one descriptor; events (results, errors, the end of a cell) go
out on another. What the code prints goes to descriptors 1 and 2, which the supervisor reads,
so output from child processes and C extensions is captured too.
"""

import ast
import contextlib
import base64
import builtins
import json
import linecache
import os
import signal
import sys
import traceback

RICH_FORMATS = [
    ("_repr_html_", "html"),
    ("_repr_markdown_", "markdown"),
    ("_repr_svg_", "svg"),
    ("_repr_png_", "png"),
    ("_repr_jpeg_", "jpeg"),
    ("_repr_pdf_", "pdf"),
    ("_repr_latex_", "latex"),
    ("_repr_json_", "json"),
    ("_repr_javascript_", "javascript"),
]
FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
CO_COROUTINE = 0x80  # set on code compiled from a cell with top-level await



@contextlib.contextmanager
def cell_scope(env):
    """A cell's run: its env vars set for it alone, and an interrupt (the client went away) raising
    KeyboardInterrupt in it, as in Jupyter; outside a cell, interrupts are ignored."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old

class Cell:
    def __init__(self, events_fd):
        self.events_fd = events_fd
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.count = 0
        self.loop = None

    def emit(self, event):
        sys.stdout.flush()
        sys.stderr.flush()
        data = (json.dumps(event, default=str) + "\n").encode()
        while data:
            data = data[os.write(self.events_fd, data) :]

    def run(self, cell):
        self.count += 1
        filename = f"<cell-{self.count}>"
        code = cell["code"]
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        with cell_scope(cell["env"]):
            try:
                value = self.execute(code, filename)
                if value is not None:
                    self.emit({"type": "result", **display_bundle(value), "is_main_result": True})
            except BaseException as e:  # noqa: BLE001 - any exception is the cell's error, as in Jupyter
                self.emit({"type": "error", **describe_error(e)})
        for figure in open_figures():
            self.emit({"type": "result", **figure, "is_main_result": False})
        self.emit({"type": "number_of_executions", "execution_count": self.count})
        self.emit({"type": "end"})

    def execute(self, code, filename):
        tree = ast.parse(code, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        self.evaluate(compile(tree, filename, "exec", flags=FLAGS))
        if last is None:
            return None
        return self.evaluate(compile(last, filename, "eval", flags=FLAGS))

    def evaluate(self, compiled):
        result = eval(compiled, self.namespace)  # noqa: S307 - running the caller's code is the point
        if compiled.co_flags & CO_COROUTINE:
            if self.loop is None:
                import asyncio  # noqa: PLC0415 - costs 50 ms, so only for cells that await

                self.loop = asyncio.new_event_loop()
            result = self.loop.run_until_complete(result)
        return result


def display_bundle(value):
    bundle = {"text": repr(value)}
    if isinstance(value, type):
        return bundle
    for method, key in RICH_FORMATS:
        render = getattr(value, method, None)
        if not callable(render):
            continue
        try:
            rendered = render()
        except Exception:  # noqa: BLE001 - a broken repr must not hide the plain one
            continue
        if rendered is None:
            continue
        if isinstance(rendered, bytes):
            rendered = base64.b64encode(rendered).decode()
        bundle[key] = rendered
    return bundle


def describe_error(error):
    tb = error.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
        tb = tb.tb_next
    lines = traceback.format_exception(type(error), error, tb)
    return {"name": type(error).__name__, "value": str(error), "traceback": "".join(lines)}


def open_figures():
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    import io  # noqa: PLC0415 - only needed when matplotlib is in use

    figures = []
    for number in pyplot.get_fignums():
        figure = pyplot.figure(number)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        figures.append({"text": repr(figure), "png": base64.b64encode(buffer.getvalue()).decode()})
    pyplot.close("all")
    return figures


def serve(requests_fd, events_fd):
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the kernel
    # Whole lines, as a notebook shows them; a partial line goes out when the cell ends.
    sys.stdout.reconfigure(line_buffering=True, write_through=False)
    sys.stderr.reconfigure(line_buffering=True, write_through=False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # between cells an interrupt has nothing to stop
    cell = Cell(events_fd)
    with os.fdopen(requests_fd, "rb") as requests:
        for line in requests:
            cell.run(json.loads(line))
