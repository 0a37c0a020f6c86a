import { expect, test } from "vitest";
import { pooledEndpointProblem } from "../../local/migrate.js";

// Deploying: the Worker uses Neon's pooled string, migrations the direct one.
test("npm run db:migrate refuses Neon's pooled endpoint and takes the direct one", () => {
  const pooled = "postgres://u:p@ep-cool-name-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require";
  const direct = "postgres://u:p@ep-cool-name-123456.us-east-2.aws.neon.tech/neondb?sslmode=require";
  expect(pooledEndpointProblem(pooled)).toContain("direct");
  expect(pooledEndpointProblem(direct)).toBeNull();
  expect(pooledEndpointProblem("postgres://runledger:x@127.0.0.1:5432/runledger")).toBeNull();
});
