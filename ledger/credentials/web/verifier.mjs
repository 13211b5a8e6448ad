// In-browser verifier of the ledger's credentials (bundled with jsonld by deploy/node/ensure.sh).
//
// Checks, with nothing but the page, its trust bundle (GET keys, loaded with the page) and the
// status list (fetched once, kept for offline use): both Data Integrity proofs (eddsa-jcs-2022
// with RFC 8785 JCS, eddsa-rdfc-2022 with jsonld's RDFC-1.0 in safe mode) by a trusted key of a
// verification method the issuer controls, the validity dates, and the certificate's bit in a
// status list that verifies the same way and has the same issuer. Ed25519, SHA-256, PBKDF2 and
// gzip come from the browser (WebCrypto, DecompressionStream). The holder check derives the
// holder key from what the employer types; nothing typed leaves the page.
import jsonld from 'jsonld';
import credentialsV2 from '../contexts/credentials-v2.json';
import examplesV2 from '../contexts/credentials-examples-v2.json';
import openBadges from '../contexts/ob-v3p0-context-3.0.3.json';
import ledgerV1 from '../contexts/ledger-v1.json';

const CONTEXTS = {
  'https://www.w3.org/ns/credentials/v2': credentialsV2,
  'https://www.w3.org/ns/credentials/examples/v2': examplesV2,
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': openBadges,
  'https://certificates.ledger.example/contexts/ledger-v1.json': ledgerV1,
};

async function documentLoader(url) {
  if(CONTEXTS[url]) { return {contextUrl: null, documentUrl: url, document: CONTEXTS[url]}; }
  throw new Error(`context not bundled: ${url}`);
}

// ------------------------------------------------------------------ encodings
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export function base58btc(text) {
  if(typeof text !== 'string' || text[0] !== 'z') { throw new Error('not multibase base58btc'); }
  const digits = text.slice(1);
  let zeros = 0;
  while(zeros < digits.length && digits[zeros] === '1') { zeros++; }
  const bytes = [];
  for(const ch of digits) {
    let carry = B58.indexOf(ch);
    if(carry < 0) { throw new Error('bad base58 character'); }
    for(let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while(carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
  }
  const out = new Uint8Array(zeros + bytes.length);
  out.set(bytes.reverse(), zeros);
  return out;
}

function base64url(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(padded + '='.repeat((4 - padded.length % 4) % 4));
  return Uint8Array.from(raw, c => c.charCodeAt(0));
}

const utf8 = new TextEncoder();
const hex = bytes => [...new Uint8Array(bytes)].map(b => b.toString(16).padStart(2, '0')).join('');

export function jcs(value) {
  if(value === null || typeof value !== 'object') { return JSON.stringify(value); }
  if(Array.isArray(value)) { return '[' + value.map(jcs).join(',') + ']'; }
  const keys = Object.keys(value).filter(k => value[k] !== undefined).sort();
  return '{' + keys.map(k => JSON.stringify(k) + ':' + jcs(value[k])).join(',') + '}';
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)));
}

async function canonicalRdf(doc) {
  return jsonld.canonize(doc, {algorithm: 'RDFC-1.0', format: 'application/n-quads',
    documentLoader, safe: true});
}

// ------------------------------------------------------------------ proofs
function methodKey(method, issuer, trust) {
  const [controller, fragment] = String(method).split('#');
  const allowed = controller === trust.root || (controller === issuer && issuer.startsWith(trust.root + ':'));
  return allowed && trust.keys.has(fragment) ? fragment : null;
}

async function verifyProof(doc, proof, trust) {
  const suite = proof && proof.cryptosuite;
  if(!proof || proof.type !== 'DataIntegrityProof' ||
    !['eddsa-jcs-2022', 'eddsa-rdfc-2022'].includes(suite)) {
    return {suite, ok: false, reason: 'unsupported proof'};
  }
  if(proof.proofPurpose !== 'assertionMethod') { return {suite, ok: false, reason: 'wrong purpose'}; }
  const issuer = typeof doc.issuer === 'object' ? doc.issuer.id : doc.issuer;
  const multikey = methodKey(proof.verificationMethod, issuer, trust);
  if(!multikey) { return {suite, ok: false, unknownKey: true, reason: 'unknown key'}; }
  const unsecured = {...doc};
  delete unsecured.proof;
  const options = {...proof};
  delete options.proofValue;
  let docHash;
  let configHash;
  try {
    if(suite === 'eddsa-jcs-2022') {
      if(options['@context']) { unsecured['@context'] = options['@context']; }
      configHash = await sha256(jcs(options));
      docHash = await sha256(jcs(unsecured));
    } else {
      options['@context'] = doc['@context'];
      configHash = await sha256(await canonicalRdf(options));
      docHash = await sha256(await canonicalRdf(unsecured));
    }
  } catch(error) {
    return {suite, ok: false, reason: `canonicalisation: ${error.message}`};
  }
  const data = new Uint8Array(64);
  data.set(configHash, 0);
  data.set(docHash, 32);
  try {
    const raw = base58btc(multikey).slice(2);
    const key = await crypto.subtle.importKey('raw', raw, {name: 'Ed25519'}, false, ['verify']);
    const ok = await crypto.subtle.verify('Ed25519', key, base58btc(proof.proofValue), data);
    return {suite, ok, reason: ok ? null : 'bad signature'};
  } catch(error) {
    return {suite, ok: false, reason: error.message};
  }
}

async function verifyProofs(doc, trust) {
  const proofs = [doc.proof].flat().filter(Boolean);
  const results = await Promise.all(proofs.map(p => verifyProof(doc, p, trust)));
  const suites = new Set(results.filter(r => r.ok).map(r => r.suite));
  return {
    ok: results.length > 0 && results.every(r => r.ok) &&
      suites.has('eddsa-jcs-2022') && suites.has('eddsa-rdfc-2022'),
    unknownKey: results.some(r => r.unknownKey),
    reasons: results.filter(r => !r.ok).map(r => `${r.suite}: ${r.reason}`),
  };
}

function datesOk(doc, now) {
  const from = Date.parse(doc.validFrom);
  if(Number.isNaN(from) || from > now) { return false; }
  return !doc.validUntil || Date.parse(doc.validUntil) >= now;
}

// ------------------------------------------------------------------ status
async function bitAt(encoded, index) {
  const stream = new Blob([base64url(encoded.slice(1))]).stream()
    .pipeThrough(new DecompressionStream('gzip'));
  const bits = new Uint8Array(await new Response(stream).arrayBuffer());
  if(index < 0 || index >= bits.length * 8) { throw new Error('index out of range'); }
  return (bits[index >> 3] & (0x80 >> (index % 8))) !== 0;
}

async function checkStatus(doc, statusList, trust, now) {
  const entry = doc.credentialStatus;
  if(!entry) { return {state: 'none'}; }
  if(!statusList) { return {state: 'unknown', reason: 'liste de statut indisponible'}; }
  const issuer = typeof doc.issuer === 'object' ? doc.issuer.id : doc.issuer;
  if(statusList.id !== entry.statusListCredential ||
    ![issuer, trust.root].includes(statusList.issuer)) {
    return {state: 'invalid', reason: "la liste de statut n'est pas celle de l'émetteur"};
  }
  const proofs = await verifyProofs(statusList, trust);
  if(!proofs.ok || !datesOk(statusList, now)) {
    return {state: 'unknown', reason: 'la liste de statut ne se vérifie pas'};
  }
  const subject = statusList.credentialSubject || {};
  if(subject.statusPurpose !== entry.statusPurpose) {
    return {state: 'invalid', reason: 'objet de statut différent'};
  }
  const revoked = await bitAt(subject.encodedList, Number.parseInt(entry.statusListIndex, 10));
  return {state: revoked ? 'revoked' : 'ok'};
}

// ------------------------------------------------------------------ entry points
export function trustFrom(bundle) {
  const doc = bundle.didDocument || bundle;
  return {root: doc.id, keys: new Set((doc.verificationMethod || []).map(m => m.publicKeyMultibase))};
}

export async function verifyCredential(doc, trust, statusList, now = Date.now()) {
  if(!doc || typeof doc !== 'object' || ![doc.type].flat().includes('VerifiableCredential')) {
    return {verdict: 'invalid', reasons: ["ce n'est pas un certificat vérifiable"]};
  }
  const issuer = typeof doc.issuer === 'object' ? doc.issuer.id : doc.issuer;
  const reasons = [];
  if(typeof issuer !== 'string' || !(issuer === trust.root || issuer.startsWith(trust.root + ':'))) {
    return {verdict: 'unknown_issuer', reasons: [`émetteur inconnu : ${issuer}`]};
  }
  const proofs = await verifyProofs(doc, trust);
  if(!proofs.ok) {
    return {verdict: proofs.unknownKey ? 'unknown_issuer' : 'invalid', reasons: proofs.reasons};
  }
  if(!datesOk(doc, now)) { return {verdict: 'invalid', reasons: ['dates de validité']}; }
  const status = await checkStatus(doc, statusList, trust, now);
  if(status.state === 'invalid') { return {verdict: 'invalid', reasons: [status.reason]}; }
  if(status.state === 'unknown') { return {verdict: 'status_unknown', reasons: [status.reason]}; }
  return {verdict: status.state === 'revoked' ? 'revoked' : 'valid', reasons};
}

export function fold(text) {
  return String(text).normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ').trim();
}

export async function holderMatches(identity, given, family, birthDate, nationalNumber) {
  const prefix = 'ext:ledgerHolder.pbkdf2-sha256.';
  const kind = String(identity.identityType || '');
  if(!kind.startsWith(prefix)) { return false; }
  const iterations = Number.parseInt(kind.slice(prefix.length), 10);
  const text = `${fold(family)}|${fold(given)}|${String(birthDate).trim()}|` +
    String(nationalNumber || '').replace(/[^0-9]/g, '');
  const material = await crypto.subtle.importKey('raw', utf8.encode(text), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({name: 'PBKDF2', hash: 'SHA-256',
    salt: utf8.encode(identity.salt), iterations}, material, 256);
  const digest = await sha256(hex(bits) + identity.salt);
  return `sha256$${hex(digest)}` === identity.identityHash;
}
