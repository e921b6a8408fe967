/**
 * The address a request came from. Behind proxies (a load balancer), the socket's peer is the nearest proxy and
 * every user would share its address: with `hops` proxies trusted (TRUST_PROXY), the client is the address the
 * farthest trusted proxy saw, `hops` entries from the end of X-Forwarded-For (each proxy appends its peer).
 * Entries before it are the client's own word, never taken. With no proxy trusted, the header is ignored.
 */
export function clientAddress (socketAddress: string, forwardedFor: string | string[] | undefined, hops: number): string {
  if (hops === 0 || forwardedFor === undefined) return socketAddress
  const chain = [forwardedFor].flat().join(',').split(',').map((entry) => entry.trim()).filter(Boolean)
  return chain[Math.max(0, chain.length - hops)] ?? socketAddress
}
