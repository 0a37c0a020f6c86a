ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_execution_id_executions_id_fk";
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" DROP COLUMN "execution_id";