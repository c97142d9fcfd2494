/**
 * `deepphoto token --room R --identity NAME [--ttl 1h] [--grants publish,record,photo] [--url https://host:port]`:
 * prints an access token signed with DEEPPHOTO_SECRET and a ready join link (the page reads `?token=`).
 */
import { parseArgs } from 'node:util';
import { readSecurityConfig } from '../config/config.ts';
import { GRANTS, parseTtl, TokenAuthority, type Grant } from '../security/tokens.ts';

export const TOKEN_USAGE =
  'deepphoto token --room ROOM --identity NAME [--ttl 1h] [--grants publish,record,photo] [--url https://host:port]   (needs DEEPPHOTO_SECRET)';

export async function runTokenCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      room: { type: 'string', default: 'default' },
      identity: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      grants: { type: 'string', default: GRANTS.join(',') },
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const config = readSecurityConfig(env);
  if (!config.secret) {
    console.error('deepphoto token: set DEEPPHOTO_SECRET (the same value the server runs with), e.g. `export DEEPPHOTO_SECRET=$(openssl rand -hex 32)`');
    return 2;
  }
  if (!values.identity) {
    console.error(`deepphoto token: missing --identity\nusage: ${TOKEN_USAGE}`);
    return 2;
  }
  const grants = values.grants!.split(',').map((g) => g.trim()).filter(Boolean);
  const unknown = grants.filter((g) => !(GRANTS as readonly string[]).includes(g));
  if (unknown.length) {
    console.error(`deepphoto token: unknown grant(s) ${unknown.join(', ')}; use ${GRANTS.join(', ')}`);
    return 2;
  }
  let ttlSeconds: number;
  let token: string;
  try {
    ttlSeconds = parseTtl(values.ttl!);
    token = await new TokenAuthority(config.secret).issue({ identity: values.identity, room: values.room, grants: grants as Grant[], ttlSeconds });
  } catch (error) {
    console.error(`deepphoto token: ${(error as Error).message}`);
    return 2;
  }
  const base = (values.url ?? env.DEEPPHOTO_PUBLIC_URL ?? `http${config.tls ? 's' : ''}://localhost:${env.PORT ?? 8080}`).replace(/\/$/, '');
  const joinUrl = `${base}/?token=${token}`;
  if (values.json) console.log(JSON.stringify({ token, joinUrl, room: values.room, identity: values.identity, grants, ttlSeconds }));
  else console.log(`${token}\n\njoin: ${joinUrl}\n(room ${values.room}, identity ${values.identity}, grants ${grants.join(',')}, valid ${values.ttl})`);
  return 0;
}
