"""A Python code context backed by IPython, as E2B's Jupyter kernels are: indented cells, `!cmd`,
`%magic`, `display()` and IPython's rich formatters all work.

The supervisor builds one shell when the sandbox starts (`prepare`), before any context exists;
each context is a fork of it, so a new IPython context costs a fork, not IPython's import. Cells
arrive as JSON lines on one descriptor and events go out on another, as with the fast kernel;
what the code and its `!commands` print goes to descriptors 1 and 2.
"""

import json
import os
import signal
import sys

import python_kernel

SHELL = None
# Jupyter's MIME types to the names of E2B's result fields; any other type goes to `extra`.
MIME_FIELDS = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "application/pdf": "pdf",
    "text/latex": "latex",
    "application/json": "json",
    "application/javascript": "javascript",
    "e2b/data": "data",
    "e2b/chart": "chart",
}
EMIT = None


def result_event(data, main):
    event = {"type": "result", "is_main_result": main}
    extra = {}
    for mime, value in data.items():
        field = MIME_FIELDS.get(mime)
        if field is None:
            extra[mime] = value
        else:
            event[field] = value
    if extra:
        event["extra"] = extra
    return event


def prepare():
    """Imports IPython and builds the shell every context of this sandbox forks from."""
    global SHELL
    from IPython.core.displayhook import DisplayHook  # noqa: PLC0415 - only when IPython backs contexts
    from IPython.core.displaypub import DisplayPublisher  # noqa: PLC0415
    from IPython.core.display_trap import DisplayTrap  # noqa: PLC0415
    from IPython.core.interactiveshell import InteractiveShell  # noqa: PLC0415
    from traitlets.config import Config  # noqa: PLC0415

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            EMIT(result_event(data, False))

        def clear_output(self, wait=False):
            pass

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            EMIT(result_event(format_dict, True))

        def finish_displayhook(self):
            sys.stdout.flush()
            sys.stderr.flush()

    class Shell(InteractiveShell):
        def init_displayhook(self):
            self.displayhook = Hook(shell=self, cache_size=self.cache_size)
            self.configurables.append(self.displayhook)
            self.display_trap = DisplayTrap(hook=self.displayhook)

        def init_display_pub(self):
            self.display_pub = Publisher(parent=self, shell=self)
            self.configurables.append(self.display_pub)

        def _showtraceback(self, etype, evalue, stb):
            EMIT({"type": "error", "name": etype.__name__, "value": str(evalue), "traceback": "\n".join(stb)})

        def system(self, cmd):
            # `!cmd` writes straight to this process's descriptors 1 and 2, which the host reads.
            self.system_raw(cmd)

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.PlainTextFormatter.max_seq_length = 0
    SHELL = Shell.instance(config=config)
    install_formatters(SHELL)
    patch_images()
    # A first cell pulls in what IPython imports lazily, once here rather than in every context.
    SHELL.run_cell("None", store_history=False, silent=True)


def patch_images():
    """As in E2B's image, saving a PIL image to a path also displays it (showing one already does,
    through PIL's IPython viewer)."""
    try:
        from PIL import Image  # noqa: PLC0415 - part of the template when installed
    except ImportError:
        return
    from IPython.display import display  # noqa: PLC0415

    save = Image.Image.save

    def save_and_display(image, fp, format=None, **params):  # noqa: A002 - PIL's own parameter name
        if isinstance(fp, (str, os.PathLike)):
            display(image)
        return save(image, fp, format, **params)

    Image.Image.save = save_and_display


def install_formatters(shell):
    """E2B's extra formats: a DataFrame's columns as `data`, a matplotlib figure's `chart`."""
    from IPython.core.formatters import BaseFormatter  # noqa: PLC0415
    from traitlets import ObjectName, Unicode  # noqa: PLC0415

    class DataFormatter(BaseFormatter):
        format_type = Unicode("e2b/data")
        print_method = ObjectName("_repr_e2b_data_")
        _return_type = (dict, str)

        def __call__(self, obj):
            pandas = sys.modules.get("pandas")
            if pandas is not None and isinstance(obj, pandas.DataFrame):
                return dataframe_columns(obj)
            return super().__call__(obj)

    class ChartFormatter(BaseFormatter):
        format_type = Unicode("e2b/chart")
        print_method = ObjectName("_repr_e2b_chart_")
        _return_type = (dict, str)

        def __call__(self, obj):
            if sys.modules.get("matplotlib.figure") is not None:
                from matplotlib.figure import Figure  # noqa: PLC0415

                if isinstance(obj, Figure):
                    import charts  # noqa: PLC0415 - matplotlib is in use

                    return charts.describe(obj)
            return super().__call__(obj)

    formatters = shell.display_formatter.formatters
    formatters["e2b/data"] = DataFormatter(parent=shell.display_formatter)
    formatters["e2b/chart"] = ChartFormatter(parent=shell.display_formatter)


def dataframe_columns(frame):
    pandas = sys.modules["pandas"]
    columns = {}
    for key, values in frame.to_dict(orient="list").items():
        columns[str(key)] = [v.isoformat() if isinstance(v, pandas.Timestamp) else v for v in values]
    return json.loads(json.dumps(columns, default=str))


def serve(requests_fd, events_fd):
    global EMIT
    events = python_kernel.Cell(events_fd)
    EMIT = events.emit
    # Figures shown by plt.show() or left open come back as images, as with Jupyter's inline backend.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the kernel
    sys.stdout.reconfigure(line_buffering=True, write_through=False)
    sys.stderr.reconfigure(line_buffering=True, write_through=False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # between cells an interrupt has nothing to stop
    with os.fdopen(requests_fd, "rb") as requests:
        for line in requests:
            run(json.loads(line))


def run(cell):
    count = SHELL.execution_count
    with python_kernel.cell_scope(cell["env"]):
        try:
            SHELL.run_cell(cell["code"], store_history=True)
        except BaseException as e:  # noqa: BLE001 - an interrupt outside the cell's own code
            EMIT({"type": "error", **python_kernel.describe_error(e)})
    EMIT({"type": "number_of_executions", "execution_count": count})
    EMIT({"type": "end"})
