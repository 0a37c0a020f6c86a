CREATE TABLE "cost_rollups" (
	"key_id" text NOT NULL,
	"day" date NOT NULL,
	"template" text NOT NULL,
	"language" text NOT NULL,
	"status" text NOT NULL,
	"executions" integer NOT NULL,
	"sandbox_ms" bigint NOT NULL,
	"cost_micros" bigint NOT NULL,
	CONSTRAINT "cost_rollups_pk" PRIMARY KEY("key_id","day","template","language","status")
);
--> statement-breakpoint
ALTER TABLE "cost_rollups" ADD CONSTRAINT "cost_rollups_key_id_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cost_rollups_day_idx" ON "cost_rollups" USING btree ("day");