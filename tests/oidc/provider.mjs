// Test-only OpenID Connect provider for Gatehouse integration tests.
//
// Usage: node tests/oidc/provider.mjs      (env OIDC_PORT, default 9090)
// See README.md beside this file for the client credentials and the exact
// HTTP sequence a test client performs. NEVER use this outside tests.

import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.OIDC_PORT ?? '9090', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`invalid OIDC_PORT: ${process.env.OIDC_PORT}`);
  process.exit(2);
}
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;

const CLIENT_ID = 'gatehouse-test';
const SCOPES = 'openid email profile';
const CLAIMS = ['sub', 'email', 'email_verified', 'name', 'given_name', 'family_name'];

// Any http://127.0.0.1:<port>/auth/callback is accepted (tests use random ports).
const CALLBACK_RE = /^http:\/\/127\.0\.0\.1:\d{1,5}\/auth\/callback$/;

// Logins starting with `unverified` say nothing of whether the address is
// verified; logins starting with `linebreak` carry a name with a line break,
// and `longname` an over-long name (as a hostile or broken provider might).
// The login is the subject (`longsubject…` logins keep a short address).
function claimsFor(id) {
  const email = id.includes('@') ? id : `${id}@example.test`;
  const local = id.includes('@') ? id.slice(0, id.indexOf('@')) : id;
  const givenName = local.charAt(0).toUpperCase() + local.slice(1);
  const claims = {
    sub: id,
    email,
    email_verified: true,
    given_name: givenName,
    family_name: 'Example',
    name: `${givenName} Example`,
  };
  if (local.startsWith('unverified')) {
    delete claims.email_verified;
  }
  if (local.startsWith('linebreak')) {
    claims.name = `${givenName}\nBcc: victim@example.test`;
  }
  // Longer than any name a person has (3,000 bytes).
  if (local.startsWith('longname')) {
    claims.name = '名'.repeat(1000);
  }
  // A login (the subject) too long for an address keeps a short one, so
  // that only the subject is out of bounds.
  if (local.startsWith('longsubject')) {
    claims.email = 'longsubject@example.test';
  }
  return claims;
}

// Fresh signing key per process (the JWKS is served at /jwks).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'gatehouse-test-rs256', alg: 'RS256', use: 'sig' };

const configuration = {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: 'test-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // oidc-provider accepts both client_secret_basic and client_secret_post
      // for a client registered with either of the two.
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['http://127.0.0.1:8080/auth/callback'],
    },
  ],
  responseTypes: ['code'],
  jwks: { keys: [signingJwk] },
  cookies: {
    // Static, test-only values.
    keys: ['gatehouse-test-cookie-key-1', 'gatehouse-test-cookie-key-2'],
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // Put the scope-requested claims into the ID token too, not only userinfo.
  conformIdTokenClaims: false,
  // The redirect_uri must always be sent (the registered one is not the one used).
  allowOmittingSingleRegisteredRedirectUri: false,
  pkce: {
    // Required for every client (the default only requires it for public clients).
    required: () => true,
  },
  features: {
    devInteractions: { enabled: true },
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return claimsFor(id);
      },
    };
  },
  // Skip the consent screen: auto-grant the requested scopes/claims.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) {
        if (ctx.oidc.account && grant.exp < ctx.oidc.session.exp) {
          grant.exp = ctx.oidc.session.exp;
          await grant.save();
        }
        return grant;
      }
    }
    if (ctx.oidc.client.clientId === CLIENT_ID && ctx.oidc.session.accountId) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(SCOPES);
      grant.addOIDCClaims(CLAIMS);
      await grant.save();
      return grant;
    }
    return undefined;
  },
};

const provider = new Provider(issuer, configuration);

// Documented recipe: override the redirect URI check on the Client model.
const { redirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowedAnyLoopbackPort(value) {
  if (this.clientId === CLIENT_ID && typeof value === 'string' && CALLBACK_RE.test(value)) {
    return true;
  }
  return redirectUriAllowed.call(this, value);
};

provider.on('server_error', (ctx, err) => {
  console.error('oidc-provider server_error:', err);
});

const server = provider.listen(port, host, () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

server.on('error', (err) => {
  console.error(`oidc-provider failed to listen on ${issuer}: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
