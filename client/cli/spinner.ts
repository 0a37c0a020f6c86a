const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A one-line progress indicator on stderr: frame, label, status, elapsed time. Silent unless stderr is a terminal. */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private status = "submitting";
  private readonly started = Date.now();

  constructor(
    private label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  start(): this {
    if (!this.enabled) return this;
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
    this.draw();
    return this;
  }

  update(label: string, status: string): void {
    this.label = label;
    this.status = status;
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame]} ${this.label} ${this.status} ${elapsed}s`);
  }

  /** Clears the line. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write("\r\x1b[2K");
  }
}
