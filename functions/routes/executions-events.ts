import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { invalidField } from "../errors.js";
import { getExecution } from "../ledger/index.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecutionIdParam } from "../schemas/execution.js";

export const executionEventsRoute = createRoute({
  method: "get",
  path: "/v1/executions/{id}/events",
  summary: "The run's live output and status as Server-Sent Events; a finished run is replayed",
  description: [
    "Each event has an increasing integer `id`. `status` (`{status}`) on each change; `stdout` and `stderr` (`{text}`) as",
    "the code prints; `result` with one rich result; last `end` with the final Execution, then the stream closes.",
    "`Last-Event-ID` resumes after that id. A `: keepalive` comment at least every 15 s.",
  ].join(" "),
  security: signedSecurity,
  request: {
    params: zExecutionIdParam,
    headers: z.object({ "last-event-id": z.string().optional().openapi({ description: "resume after this event id" }) }),
  },
  responses: {
    200: {
      description: "A stream of events (`text/event-stream`)",
      content: {
        "text/event-stream": {
          schema: z.string().openapi({ example: 'id: 2\nevent: stdout\ndata: {"text":"42\\n"}\n\n' }),
        },
      },
    },
    ...errorResponses(...signedRouteErrors, "not_found", "invalid_request"),
  },
});

export function registerExecutionEvents(app: OpenAPIHono<AppEnv>): void {
  app.openapi(executionEventsRoute, async (c) => {
    const services = c.get("services");
    const execution = await getExecution(services, c.get("key").id, c.req.valid("param").id);
    const lastEventId = c.req.valid("header")["last-event-id"];
    if (lastEventId !== undefined && !/^\d{1,9}$/.test(lastEventId.trim())) {
      throw invalidField("Last-Event-ID", "must be the id of an event of this stream");
    }
    const stream = await services.holders.events(execution.id, lastEventId === undefined ? null : Number(lastEventId.trim()));
    return new Response(stream.body, { status: 200, headers: stream.headers });
  });
}
