CREATE TABLE "hour_usage" (
	"key_id" text NOT NULL,
	"hour_start" timestamp (3) with time zone NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	"limit_reached" boolean DEFAULT false NOT NULL,
	CONSTRAINT "hour_usage_pk" PRIMARY KEY("key_id","hour_start"),
	CONSTRAINT "hour_usage_non_negative" CHECK ("hour_usage"."spent_micros" >= 0 and "hour_usage"."reserved_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE "tag_cost_rollups" (
	"key_id" text NOT NULL,
	"day" date NOT NULL,
	"tag" text NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"status" text NOT NULL,
	"executions" integer NOT NULL,
	"sandbox_ms" bigint NOT NULL,
	"cost_micros" bigint NOT NULL,
	CONSTRAINT "tag_cost_rollups_pk" PRIMARY KEY("key_id","day","tag","template","language","status")
);
--> statement-breakpoint
ALTER TABLE "budget_usage" ADD COLUMN "alerted_thresholds" integer[] DEFAULT '{}'::integer[] NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "hour_start" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "hourly_limit_micros" bigint;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "events_url" text;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "alert_thresholds" integer[] DEFAULT '{80,100}'::integer[] NOT NULL;--> statement-breakpoint
ALTER TABLE "hour_usage" ADD CONSTRAINT "hour_usage_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tag_cost_rollups" ADD CONSTRAINT "tag_cost_rollups_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tag_cost_rollups_day_idx" ON "tag_cost_rollups" USING btree ("day","tag");--> statement-breakpoint
CREATE INDEX "executions_tags_idx" ON "executions" USING gin ("tags");--> statement-breakpoint
-- Settled executions so far had no tags: they count under "".
INSERT INTO "tag_cost_rollups" (key_id, day, tag, template, language, status, executions, sandbox_ms, cost_micros)
  SELECT key_id, day, '', template, language, status, executions, sandbox_ms, cost_micros FROM "cost_rollups";
