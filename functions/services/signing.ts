// The signing module lives with the client package, which publishes it (it needs nothing but WebCrypto);
// the Worker verifies with the very same code.
export * from "../../client/signing.js";
