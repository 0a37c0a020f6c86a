CREATE TABLE "budget_usage" (
	"key_id" text NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "budget_usage_pk" PRIMARY KEY("key_id","period_start"),
	CONSTRAINT "budget_usage_non_negative" CHECK ("budget_usage"."spent_micros" >= 0 and "budget_usage"."reserved_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"execution_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	CONSTRAINT "webhook_deliveries_pk" PRIMARY KEY("execution_id","attempt")
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" text PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"status" text NOT NULL,
	"language" text NOT NULL,
	"template" text NOT NULL,
	"timeout_ms" integer NOT NULL,
	"code" text NOT NULL,
	"env" jsonb NOT NULL,
	"files" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"webhook_url" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"sandbox_id" text,
	"duration_ms" integer,
	"sandbox_ms" integer,
	"period_start" timestamp (3) with time zone NOT NULL,
	"rate_picos_per_second" bigint NOT NULL,
	"reserved_micros" bigint NOT NULL,
	"cost_micros" bigint,
	"settled_at" timestamp (3) with time zone,
	"result" jsonb,
	"webhook_status" text,
	"webhook_attempts" integer DEFAULT 0 NOT NULL,
	"webhook_message_id" text,
	CONSTRAINT "executions_money_non_negative" CHECK ("executions"."reserved_micros" >= 0 and ("executions"."cost_micros" is null or "executions"."cost_micros" >= 0))
);
--> statement-breakpoint
CREATE TABLE "keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"previous_secret_ciphertext" text,
	"previous_secret_valid_until" timestamp (3) with time zone,
	"webhook_secret_ciphertext" text NOT NULL,
	"budget_micros" bigint NOT NULL,
	"budget_period" text NOT NULL,
	"max_timeout_ms" integer NOT NULL,
	"max_concurrency" integer NOT NULL,
	"templates" text[],
	"created_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "keys_budget_non_negative" CHECK ("keys"."budget_micros" >= 0),
	CONSTRAINT "keys_limits_positive" CHECK ("keys"."max_timeout_ms" >= 1000 and "keys"."max_concurrency" >= 1)
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"key_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"execution_id" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pk" PRIMARY KEY("key_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "request_nonces" (
	"key_id" text NOT NULL,
	"signature" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "request_nonces_pk" PRIMARY KEY("key_id","signature")
);
--> statement-breakpoint
ALTER TABLE "budget_usage" ADD CONSTRAINT "budget_usage_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_execution_id_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_nonces" ADD CONSTRAINT "request_nonces_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_at_idx" ON "webhook_deliveries" USING btree ("at");--> statement-breakpoint
CREATE INDEX "executions_key_created_idx" ON "executions" USING btree ("key_id","id");--> statement-breakpoint
CREATE INDEX "executions_active_idx" ON "executions" USING btree ("key_id") WHERE "executions"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "keys_created_at_idx" ON "keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "request_nonces_expires_idx" ON "request_nonces" USING btree ("expires_at");