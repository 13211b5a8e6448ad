// The employer's page: verifies a credential in this browser (verifier.bundle.js, built from the
// pinned npm lockfile by deploy/node/ensure.sh) and shows the server's verdict beside it. The
// trust bundle and the status lists are kept (memory and localStorage) so that a credential can
// still be checked once the server is unreachable. The holder check never sends what is typed.
"use strict";

const LABELS = {
  valid: "Valide",
  revoked: "Révoqué",
  invalid: "Invalide ou modifié",
  unknown_issuer: "Émetteur inconnu",
  status_unknown: "Révocation non vérifiable",
  error: "Vérification impossible",
  unreachable: "Serveur injoignable",
  unavailable: "Vérificateur du navigateur indisponible",
  pending: "…",
};
const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];

const el = (id) => document.getElementById(id);
let current = null;

function remember(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch (err) { /* private mode */ }
}
function recall(key) {
  try { return JSON.parse(localStorage.getItem(key)); } catch (err) { return null; }
}

async function fetchJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const data = await response.json();
  if (!response.ok) { throw new Error(data.detail || data.title || data.error || response.statusText); }
  return data;
}

let trustBundle = null;
async function trust() {
  if (!trustBundle) {
    try {
      trustBundle = await fetchJson("keys");
      remember("ledger.trust", trustBundle);
    } catch (err) {
      trustBundle = recall("ledger.trust");
    }
  }
  return trustBundle;
}

const statusLists = new Map();
async function statusListFor(credential) {
  const url = credential && credential.credentialStatus && credential.credentialStatus.statusListCredential;
  if (!url) { return null; }
  try {
    const list = await fetchJson(url);
    statusLists.set(url, list);
    remember("ledger.status." + url, list);
  } catch (err) {
    if (!statusLists.has(url) && recall("ledger.status." + url)) {
      statusLists.set(url, recall("ledger.status." + url));
    }
  }
  return statusLists.get(url) || null;
}

function frenchDate(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(text || ""));
  return m ? `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}` : String(text || "");
}

function setVerdict(id, verdict) {
  const box = el(id);
  box.dataset.verdict = verdict;
  box.textContent = LABELS[verdict] || verdict;
}

function fact(list, label, value) {
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) { return; }
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = Array.isArray(value) ? value.join(" · ") : String(value);
  list.append(dt, dd);
}

function showFacts(credential) {
  const facts = el("facts");
  facts.replaceChildren();
  const subject = credential.credentialSubject || {};
  const achievement = subject.achievement || {};
  const names = {};
  for (const d of achievement.resultDescription || []) { names[d.id] = d.name; }
  fact(facts, "Certificat", credential.name);
  fact(facts, "Émetteur", typeof credential.issuer === "object" ? credential.issuer.name : credential.issuer);
  fact(facts, "Délivré le", frenchDate(credential.validFrom));
  fact(facts, "Niveau", (achievement.alignment || []).map((a) => a.targetName));
  fact(facts, "Acquis", (subject.result || []).map((r) => names[r.resultDescription] || r.resultDescription));
  fact(facts, "Numéro", String(credential.id || "").replace(/^urn:uuid:/, ""));
}

function holderIdentity(credential) {
  const ids = (credential.credentialSubject || {}).identifier || [];
  return ids.find((i) => String(i.identityType || "").startsWith("ext:ledgerHolder.")) || null;
}

function showReasons(reasons) {
  el("reasons").replaceChildren(...(reasons || []).map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

async function showRevocation(credential) {
  const box = el("revocation");
  const number = String(credential.id || "").replace(/^urn:uuid:/, "");
  box.hidden = false;
  box.textContent = "Certificat révoqué : il n'est plus valable.";
  try {
    const info = await fetchJson("credentials/" + encodeURIComponent(number) + "/revocation");
    if (info.status === "revoked") {
      box.textContent = `Certificat révoqué le ${frenchDate(info.revoked_on)}. ` +
        `Motif : ${info.reason || "non précisé"}. Il n'est plus valable.`;
    }
  } catch (err) { /* offline: the bit of the status list is all we know */ }
}

async function localVerdict(credential) {
  if (!window.LedgerVerifier) { return { verdict: "unavailable", reasons: [] }; }
  const bundle = await trust();
  if (!bundle) { return { verdict: "error", reasons: ["clés de l'émetteur indisponibles"] }; }
  const list = await statusListFor(credential);
  try {
    return await window.LedgerVerifier.verifyCredential(credential, window.LedgerVerifier.trustFrom(bundle), list);
  } catch (err) {
    return { verdict: "error", reasons: [String(err && err.message || err)] };
  }
}

async function serverVerdict(credential) {
  try {
    const response = await fetch("verify", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(credential) });
    const data = await response.json();
    return response.ok ? data.verdict : "error";
  } catch (err) {
    return "unreachable";
  }
}

async function verifyText(text) {
  el("result").hidden = false;
  el("revocation").hidden = true;
  el("holder").hidden = true;
  el("holder-result").dataset.match = "none";
  el("holder-result").textContent = "";
  setVerdict("local-verdict", "pending");
  setVerdict("server-verdict", "pending");
  let credential;
  try {
    credential = JSON.parse(text);
  } catch (err) {
    setVerdict("local-verdict", "error");
    setVerdict("server-verdict", "error");
    showReasons(["Ce n'est pas du JSON : " + err.message]);
    return;
  }
  current = credential;
  showFacts(credential);
  const [local, server] = await Promise.all([localVerdict(credential), serverVerdict(credential)]);
  setVerdict("local-verdict", local.verdict);
  setVerdict("server-verdict", server);
  showReasons(local.reasons);
  document.title = `${LABELS[local.verdict] || local.verdict} — ${credential.name || "certificat"}`;
  if (local.verdict === "revoked" || server === "revoked") { await showRevocation(credential); }
  el("holder").hidden = !holderIdentity(credential);
}

async function lookup(number) {
  el("credential").value = "";
  const clean = String(number).trim().replace(/^urn:uuid:/, "");
  try {
    const response = await fetch("credentials/" + encodeURIComponent(clean), { cache: "no-store" });
    const text = await response.text();
    if (!response.ok) {
      let message = response.statusText;
      try { const p = JSON.parse(text); message = p.detail || p.title || p.error || message; } catch (err) { /* keep */ }
      el("result").hidden = false;
      setVerdict("local-verdict", "error");
      setVerdict("server-verdict", "error");
      el("facts").replaceChildren();
      showReasons(["Certificat introuvable : " + message]);
      return;
    }
    el("credential").value = text;
    await verifyText(text);
  } catch (err) {
    el("result").hidden = false;
    setVerdict("local-verdict", "error");
    setVerdict("server-verdict", "unreachable");
    showReasons([String(err)]);
  }
}

async function compareHolder() {
  const result = el("holder-result");
  const identity = current && holderIdentity(current);
  if (!identity || !window.LedgerVerifier) { return; }
  result.dataset.match = "pending";
  result.textContent = "Comparaison…";
  const same = await window.LedgerVerifier.holderMatches(identity, el("given").value, el("family").value,
    el("birth").value, el("nrn").value);
  result.dataset.match = same ? "yes" : "no";
  result.textContent = same ? "Même personne : l'identité saisie correspond au titulaire."
    : "Ne correspond pas : vérifiez l'orthographe, la date de naissance et le numéro national.";
}

el("find").addEventListener("click", () => lookup(el("number").value));
el("number").addEventListener("keydown", (event) => { if (event.key === "Enter") { lookup(el("number").value); } });
el("check").addEventListener("click", () => verifyText(el("credential").value));
el("compare").addEventListener("click", compareHolder);
el("file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) { return; }
  const text = await file.text();
  el("credential").value = text;
  await verifyText(text);
});

trust();
const initial = new URLSearchParams(window.location.search).get("id");
if (initial) { el("number").value = initial; lookup(initial); }
