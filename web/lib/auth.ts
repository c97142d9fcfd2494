/**
 * Access token of this page. A join link carries one (`?token=…`, from `npx deepphoto token`); otherwise, on a
 * server running on this machine without a secret, a short-lived one comes from `/api/token` (zero setup).
 */
let cached: { token: string; until: number } | undefined;

function tokenFromUrl(): string | undefined {
  if (typeof window === 'undefined') return undefined;
  return new URLSearchParams(window.location.search).get('token') ?? undefined;
}

/** Resolves a token for the socket and API calls; fetches a fresh local one when the last is near expiry. */
export async function getAccessToken(): Promise<string> {
  const fromUrl = tokenFromUrl();
  if (fromUrl) return fromUrl;
  if (cached && cached.until > Date.now()) return cached.token;
  const response = await fetch('/api/token', { cache: 'no-store' });
  if (!response.ok) throw new Error(`no access token: open the join link you were given (${response.status})`);
  const body = (await response.json()) as { token: string; expiresIn: number };
  cached = { token: body.token, until: Date.now() + (body.expiresIn - 60) * 1000 };
  return body.token;
}

/** The token last obtained (for links such as recording downloads, which cannot send headers). */
export function currentAccessToken(): string | undefined {
  return tokenFromUrl() ?? cached?.token;
}

/** `url` with `access_token` added, for <video src> and download links of recordings. */
export function withAccessToken(url: string): string {
  const token = currentAccessToken();
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

/** ICE servers (STUN/TURN, with per-session TURN credentials) the server wants this browser to use. */
export async function getIceServers(): Promise<RTCIceServer[]> {
  try {
    const response = await fetch('/api/ice-servers', { headers: { authorization: `Bearer ${await getAccessToken()}` }, cache: 'no-store' });
    if (!response.ok) return [];
    return ((await response.json()) as { iceServers: RTCIceServer[] }).iceServers;
  } catch {
    return [];
  }
}
