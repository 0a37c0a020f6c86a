export * from "./budgets.js";
export * from "./cost-rollups.js";
export * from "./deliveries.js";
export * from "./enums.js";
export * from "./events.js";
export * from "./executions.js";
export * from "./keys.js";
export * from "./requests.js";
