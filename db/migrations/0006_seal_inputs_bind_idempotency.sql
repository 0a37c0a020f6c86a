ALTER TABLE "executions" ADD COLUMN "inputs_ciphertext" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "inputs_purged_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "request_nonces" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
CREATE INDEX "executions_inputs_retained_idx" ON "executions" USING btree ("finished_at") WHERE "executions"."inputs_purged_at" is null;