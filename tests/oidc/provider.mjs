// A real OpenID provider for registrar's tests: panva's oidc-provider
// (OpenID-certified) on a loopback port, with one confidential client and
// a few users whose `groups` claim differs. The development login form
// accepts any password; the account id (`sub`) is the login.
//
// Environment: OIDC_NODE_MODULES (where oidc-provider is installed), OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URI, OIDC_POST_LOGOUT_URI, and OIDC_MODE: "normal", or
// "audience" (ID tokens name another client) or "expired" (ID tokens that
// expired ten minutes before they were issued) to test registrar's checks.
// A new signing key is made at every start: restarting rotates it.
// Prints "provider listening on ISSUER" once it accepts connections.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
// Installed apart from the sources (target/oidc-provider, by .ci/run).
const modules = env('OIDC_NODE_MODULES');
const { default: Provider } = await import(
  pathToFileURL(join(modules, 'oidc-provider', 'lib', 'index.js')).href
);
const port = Number(env('OIDC_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const mode = process.env.OIDC_MODE || 'normal';

const GROUPS = {
  ada: ['registry-admins', 'staff'],
  reggie: ['registry'],
  vera: ['staff'],
  nobody: [],
};

// P-256: made in a moment even on a busy machine (an RSA key can take long).
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'ES256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('OIDC_CLIENT_ID'),
    client_secret: env('OIDC_CLIENT_SECRET'),
    redirect_uris: [env('OIDC_REDIRECT_URI')],
    post_logout_redirect_uris: [env('OIDC_POST_LOGOUT_URI')],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [key] },
  cookies: { keys: [randomUUID()] },
  claims: { openid: ['sub'], profile: ['preferred_username', 'groups'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, groups: GROUPS[id] ?? [] };
      },
    };
  },
});

// The two faults registrar must refuse, made in the token the provider signs.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = function faulty(options = {}) {
  if (mode === 'audience') {
    this.client = Object.create(this.client, { clientId: { value: 'another-application' } });
  }
  if (mode === 'expired' && options.use === 'idtoken') {
    return issue.call(this, { ...options, expiresAt: Math.floor(Date.now() / 1000) - 600 });
  }
  return issue.call(this, options);
};

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`provider listening on ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
