import { z } from "@hono/zod-openapi";
import { DELIVERY_STATUSES } from "../../db/schema/enums.js";

export const zEvent = z
  .object({
    id: z.string().openapi({ description: "the event's webhook-id", example: "msg_01jd8k2m3n4p5q6r7s8t9v0w1x" }),
    type: z.string().openapi({ example: "budget.threshold_reached" }),
    created_at: z.string(),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: "what the delivery's `data` holds; for execution.completed, the execution's id" }),
    delivery: z.object({ status: z.enum(DELIVERY_STATUSES), attempts: z.number().int() }),
  })
  .openapi("Event");

export const zEventList = z.object({ data: z.array(zEvent), next_cursor: z.string().nullable() }).openapi("EventList");

export type Event = z.infer<typeof zEvent>;
