ALTER TABLE "executions" ADD COLUMN "internet" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "outputs" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "keys" ADD COLUMN "internet_access" boolean DEFAULT true NOT NULL;