/** Room names and invite links (pure; the server accepts `[A-Za-z0-9][A-Za-z0-9_-]{0,63}`). */
const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isRoomName(name: string): boolean {
  return ROOM_NAME.test(name);
}

/** The room a URL asks for: `/r/NAME` (the server redirects it to `/?room=NAME`) or `?room=NAME`. */
export function roomFromUrl(url: string | URL): string | null {
  const u = typeof url === 'string' ? new URL(url) : url;
  const fromPath = /^\/r\/([^/]+)\/?$/.exec(u.pathname)?.[1];
  const name = fromPath ? decodeURIComponent(fromPath) : u.searchParams.get('room');
  return name && isRoomName(name) ? name : null;
}

export function inviteLink(origin: string, room: string): string {
  return `${origin.replace(/\/$/, '')}/r/${encodeURIComponent(room)}`;
}

/** A name nobody guesses by accident, e.g. `call-k3x9q2`. */
export function randomRoomName(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  let s = '';
  for (let i = 0; i < 6; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `call-${s}`;
}
