// An independent OpenID provider for the Datencockpit's sign-in test: node-oidc-provider (an
// OpenID-certified implementation, from npm, pinned in tests/e2e/package-lock.json) over HTTPS on
// a loopback port, with its own RSA and EC keys (ID tokens RS256), PKCE S256 required, a
// confidential client (client_secret_basic), RP-initiated logout, consent skipped for this one
// first-party client, and a login page of its own where an account name is typed (the account's
// IDNr is given by the test; acr "hoch").
//
// Usage: node oidc-provider.mjs <cert.pem> <key.pem> <work-dir>
//   writes <work-dir>/provider.port once listening; waits for <work-dir>/client.json
//   ({"redirect_uri", "post_logout_redirect_uri", "client_secret", "accounts": {"name": "IDNr"}}),
//   then serves and writes <work-dir>/provider.ready.
import fs from 'node:fs';
import https from 'node:https';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const [certFile, keyFile, work] = process.argv.slice(2);
let handle = (req, res) => { res.statusCode = 503; res.end('not ready'); };
const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) },
  (req, res) => handle(req, res));
server.listen(0, '127.0.0.1', () => fs.writeFileSync(`${work}/provider.port`, String(server.address().port)));

while (!fs.existsSync(`${work}/client.json`)) await new Promise((resolve) => setTimeout(resolve, 50));
const client = JSON.parse(fs.readFileSync(`${work}/client.json`, 'utf8'));
const issuer = `https://127.0.0.1:${server.address().port}`;

const jwk = (privateKey, kid, alg) => ({ ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'oncegate-datencockpit',
    client_secret: client.client_secret,
    redirect_uris: [client.redirect_uri],
    post_logout_redirect_uris: [client.post_logout_redirect_uri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [jwk(rsa, 'op-rsa-1', 'RS256'), jwk(ec, 'op-ec-1', 'ES256')] },
  pkce: { methods: ['S256'], required: () => true },
  acrValues: ['hoch', 'substantiell'],
  claims: { openid: ['sub', 'idnr'] },
  conformIdTokenClaims: false,  // the IDNr in the ID token itself
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  findAccount: async (ctx, id) => (client.accounts[id]
    ? { accountId: id, claims: async () => ({ sub: id, idnr: client.accounts[id] }) } : undefined),
  // A first-party client: no consent screen (the provider's documented way).
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    await grant.save();
    return grant;
  },
});

const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;
const readBody = (req) => new Promise((resolve) => {
  let text = '';
  req.on('data', (chunk) => { text += chunk; });
  req.on('end', () => resolve(new URLSearchParams(text)));
});

const callback = provider.callback();
handle = async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(page('Test provider sign-in', `<form method="post" action="/interaction/${details.uid}/login">` +
        '<label for="account">Account</label> <input id="account" name="account" autofocus> ' +
        '<button type="submit" id="op-login">Sign in</button></form>'));
    }
    const form = await readBody(req);
    const account = form.get('account');
    if (!client.accounts[account]) {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'unknown account' });
    }
    return provider.interactionFinished(req, res, { login: { accountId: account, acr: 'hoch' } },
      { mergeWithLastSubmission: false });
  } catch (error) {
    res.statusCode = 400;
    res.end(String(error));
  }
};
fs.writeFileSync(`${work}/provider.ready`, issuer);
