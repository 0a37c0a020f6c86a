// The typed client for runledger's API: signed `/v1` calls, the admin routes, webhook verification.
export { type AdminClientOptions, RunledgerAdminClient } from "./admin.js";
export * from "./client.js";
export { type VerifyOptions, verifyWebhook, WEBHOOK_TOLERANCE_SECONDS, type WebhookVerification } from "./webhooks.js";
