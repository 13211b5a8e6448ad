// Verifies credentials with Digital Bazaar's stack, as a relying party would: @digitalbazaar/vc
// verifyCredential in its default (safe) mode, eddsa-rdfc-2022 and eddsa-jcs-2022 Data Integrity
// suites, the Bitstring Status List check (status list verified, issuers matching).
//
// Input (stdin, JSON): {"credentials": [...], "server": "http://127.0.0.1:PORT",
//   "ob3Context": "<path of the official OB 3.0.3 context>", "bench": <rounds, optional>}
// did:web identifiers and the ledger's context URL resolve against "server" (the host part is
// replaced: a relying party's resolver with a host override for the ledger's domain); other
// URLs are fetched from the server when they name its host, else refused. Output (stdout, JSON): one result per credential, or the bench
// figures.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfc} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createVerifyCryptosuite as jcsVerify} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as diContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import didContext from 'did-context';
import * as bslContext from '@digitalbazaar/vc-bitstring-status-list-context';

const input = JSON.parse(readFileSync(0, 'utf8'));
const server = new URL(input.server);
const contexts = new Map();
for(const m of [credentialsContext, diContext, multikeyContext, didContext, bslContext]) {
  for(const [url, doc] of m.contexts) { contexts.set(url, doc); }
}
contexts.set('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  JSON.parse(readFileSync(input.ob3Context, 'utf8')));

const rootHost = input.rootHost || 'certificates.ledger.example';
const fetched = new Map();
async function fetchJson(url) {
  if(!fetched.has(url) || !input.bench) {
    const response = await fetch(url);
    if(!response.ok) { throw new Error(`${url}: HTTP ${response.status}`); }
    fetched.set(url, await response.json());
  }
  return fetched.get(url);
}

function didWebUrl(did) {
  const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const path = parts.length > 1 ? parts.slice(1).join('/') + '/did.json' : '.well-known/did.json';
  return new URL(path, server).href;
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const doc = await fetchJson(didWebUrl(did));
    if(doc.id !== did) { throw new Error(`DID document of ${did} names ${doc.id}`); }
    if(!fragment) { return {contextUrl: null, documentUrl: url, document: doc}; }
    const method = doc.verificationMethod.find(m => m.id === url);
    if(!method) { throw new Error(`${url} is not in the DID document`); }
    return {contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}};
  }
  const target = new URL(url);
  if(target.host === rootHost) {  // the ledger's own context, served where its DIDs resolve
    return {contextUrl: null, documentUrl: url,
      document: await fetchJson(new URL(target.pathname, server).href)};
  }
  if(target.host === server.host) {
    return {contextUrl: null, documentUrl: url, document: await fetchJson(url)};
  }
  throw new Error(`refusing to load ${url}`);
}

const suites = {
  'eddsa-rdfc-2022': new DataIntegrityProof({cryptosuite: rdfc}),
  'eddsa-jcs-2022': new DataIntegrityProof({cryptosuite: jcsVerify()}),
};
const allSuites = Object.values(suites);

function message(error) {
  if(!error) { return null; }
  const errors = error.errors || [error];
  return errors.map(e => e.message || String(e)).join('; ');
}

async function verifyOne(credential, suite) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader,
    checkStatus: options => checkStatus({...options, verifyMatchingIssuers: true}),
  });
  const status = result.statusResult?.results?.[0];
  return {
    verified: result.verified,
    revoked: status ? status.status === true : null,
    statusVerified: result.statusResult ? result.statusResult.verified : null,
    error: message(result.error),
  };
}

async function verifyEach(credential) {
  const out = {bothSuites: await verifyOne(credential, allSuites), perProof: {}};
  for(const proof of [credential.proof].flat()) {
    const single = {...credential, proof};
    out.perProof[proof.cryptosuite] = await verifyOne(single, suites[proof.cryptosuite]);
  }
  return out;
}

if(input.bench) {
  for(const credential of input.credentials) { await verifyEach(credential); } // warm caches
  const started = process.hrtime.bigint();
  let count = 0;
  for(let round = 0; round < input.bench; round++) {
    for(const credential of input.credentials) {
      const result = await verifyOne(credential, allSuites);
      if(!result.verified) { throw new Error(`bench credential did not verify: ${result.error}`); }
      count++;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(JSON.stringify({verifications: count, ms_per_credential: ms / count,
    per_second: count / (ms / 1000)}));
} else {
  const results = [];
  for(const credential of input.credentials) { results.push(await verifyEach(credential)); }
  console.log(JSON.stringify(results));
}
