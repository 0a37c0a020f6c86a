import { describe, expect, test } from "vitest";
import { withInterpreter } from "./harness.js";

// Rich results as E2B gives them: a figure's `chart` beside its PNG, a DataFrame's columns as `data`.
// They need the template's Python packages and IPython; without them the tests skip.
const fx = withInterpreter();

function needs(ctx: { skip: () => void }, ...packages: string[]): void {
  const env = fx.host.host.isolation.pythonEnv;
  if (env.kernel !== "ipython" || packages.some((p) => env.missing.includes(p))) ctx.skip();
}

describe("rich results", () => {
  test("a DataFrame gives its columns as data, and html", async (ctx) => {
    needs(ctx, "python3-pandas");
    const execution = await fx.sandbox.runCode("import pandas as pd\npd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})");
    expect(execution.results[0]?.data).toEqual({ a: [1, 2], b: ["x", "y"] });
    expect(execution.results[0]?.html).toContain("<table");
  });

  test("plt.show() gives a PNG and a bar chart", async (ctx) => {
    needs(ctx, "python3-matplotlib");
    const execution = await fx.sandbox.runCode(
      "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [3, 5], label='sold')\nplt.title('Sales')\nplt.xlabel('Item')\nplt.ylabel('Count (units)')\nplt.show()",
    );
    const [figure] = execution.results;
    expect(figure?.png).toBeDefined();
    expect(figure?.chart).toMatchObject({
      type: "bar",
      title: "Sales",
      x_label: "Item",
      y_unit: "units",
      elements: [
        { label: "a", value: 3, group: "sold" },
        { label: "b", value: 5, group: "sold" },
      ],
    });
  });

  test("line, scatter and pie charts", async (ctx) => {
    needs(ctx, "python3-matplotlib");
    const chartOf = async (code: string) =>
      (await fx.sandbox.runCode(`import matplotlib.pyplot as plt\n${code}\nplt.show()`)).results[0]?.chart;
    const line = await chartOf("plt.plot([0, 1, 2], [1, 4, 9], label='squares')");
    expect(line).toMatchObject({
      type: "line",
      x_scale: "linear",
      elements: [
        {
          label: "squares",
          points: [
            [0, 1],
            [1, 4],
            [2, 9],
          ],
        },
      ],
    });
    const scatter = await chartOf("plt.scatter([1, 2], [3, 4], label='dots')");
    expect(scatter).toMatchObject({
      type: "scatter",
      elements: [
        {
          label: "dots",
          points: [
            [1, 3],
            [2, 4],
          ],
        },
      ],
    });
    const pie = await chartOf("plt.pie([75, 25], labels=['yes', 'no'])\nplt.title('Vote')");
    expect(pie).toMatchObject({
      type: "pie",
      title: "Vote",
      elements: [
        { label: "yes", angle: 270, radius: 1 },
        { label: "no", angle: 90, radius: 1 },
      ],
    });
  });
});
