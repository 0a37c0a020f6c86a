DROP INDEX "executions_webhook_due_idx";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ALTER COLUMN "event_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" DROP COLUMN "webhook_status";--> statement-breakpoint
ALTER TABLE "executions" DROP COLUMN "webhook_attempts";--> statement-breakpoint
ALTER TABLE "executions" DROP COLUMN "webhook_attempt_base";--> statement-breakpoint
ALTER TABLE "executions" DROP COLUMN "webhook_message_id";--> statement-breakpoint
ALTER TABLE "executions" DROP COLUMN "webhook_next_attempt_at";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_pk";
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_pk" PRIMARY KEY("event_id","attempt");