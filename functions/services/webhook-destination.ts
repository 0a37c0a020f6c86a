import { ApiError, invalidField } from "../errors.js";
import type { HostResolver } from "./host-resolver.js";
import { checkWebhookUrl, isPrivateAddress } from "./webhook-url.js";

export interface DestinationPolicy {
  allowPrivate: boolean;
  resolver: HostResolver;
}

/**
 * A webhook destination as submitted: the URL's own rules, then, unless private destinations are
 * allowed, every address its name resolves to must be public. A resolver that cannot answer is
 * the platform failing (503): the caller may retry.
 */
export async function checkDestination(raw: string, policy: DestinationPolicy, field = "webhook_url"): Promise<string> {
  const url = checkWebhookUrl(raw, policy.allowPrivate, field);
  if (policy.allowPrivate) return url;
  const problem = await resolvedProblem(new URL(url).hostname, policy.resolver).catch(() => {
    throw new ApiError("unavailable", "the webhook's host name could not be resolved just now; try again shortly", undefined, {
      "Retry-After": "5",
    });
  });
  if (problem) throw invalidField(field, problem);
  return url;
}

/** Before an attempt: why the destination may not be called now, or null. */
export async function deliveryRefusal(raw: string, policy: DestinationPolicy): Promise<string | null> {
  try {
    checkWebhookUrl(raw, policy.allowPrivate);
  } catch {
    return "the webhook URL is not an allowed destination";
  }
  const hostname = new URL(raw).hostname;
  if (policy.allowPrivate) {
    // Any address will do, but a name must still lead somewhere: an attempt at a name that does not
    // resolve fails here, in one line, rather than inside the runtime's fetch (which workerd logs
    // with a stack trace). A resolver that cannot answer leaves it to the attempt.
    if (isAddressLiteral(hostname)) return null;
    const addresses = await policy.resolver.resolve(hostname.replace(/\.+$/, "")).catch(() => undefined);
    return addresses?.length === 0 ? "names a host that does not resolve" : null;
  }
  return resolvedProblem(hostname, policy.resolver).catch(() => "the webhook's host name could not be resolved");
}

const isAddressLiteral = (hostname: string) => hostname.startsWith("[") || /^\d+\.\d+\.\d+\.\d+$/.test(hostname);

async function resolvedProblem(hostname: string, resolver: HostResolver): Promise<string | null> {
  // An address literal was judged by the URL's rules already.
  if (isAddressLiteral(hostname)) return null;
  const addresses = await resolver.resolve(hostname.replace(/\.+$/, ""));
  if (addresses.length === 0) return "names a host that does not resolve";
  if (addresses.some(isPrivateAddress)) return "names a host that resolves to a loopback, private, link-local or metadata address";
  return null;
}
