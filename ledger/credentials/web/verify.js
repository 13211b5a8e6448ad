// Verification page: posts a credential to ./verify and shows the verdict (no dependencies).
"use strict";

const LABELS = {
  valid: "Valide — Valid",
  revoked: "Révoqué — Revoked",
  invalid: "Invalide ou modifié — Invalid or tampered",
  unknown_issuer: "Émetteur inconnu — Unknown issuer",
  error: "Vérification impossible — Cannot verify",
};

function el(id) { return document.getElementById(id); }

function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

function fact(list, label, value) {
  if (value === undefined || value === null || value === "" ||
      (Array.isArray(value) && value.length === 0)) { return; }
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = Array.isArray(value) ? value.join(" · ") : String(value);
  list.append(dt, dd);
}

function show(verdict, data) {
  el("result").hidden = false;
  const box = el("verdict");
  box.dataset.verdict = verdict;
  box.textContent = LABELS[verdict] || verdict;
  const facts = el("facts");
  facts.replaceChildren();
  const c = (data && data.credential) || {};
  fact(facts, "Certificat", c.name);
  fact(facts, "Émetteur", c.issuer);
  fact(facts, "Délivré le", c.valid_from ? String(c.valid_from).slice(0, 10) : "");
  fact(facts, "Niveau", c.levels);
  fact(facts, "Acquis", c.results);
  if (c.holder_name_hash) { fact(facts, "Titulaire", "empreinte salée du nom (à comparer avec une pièce d'identité)"); }
  el("reasons").replaceChildren(...((data && data.reasons) || []).map(item));
  el("warnings").replaceChildren(...((data && data.warnings) || []).map(item));
  document.title = (LABELS[verdict] || verdict) + " — " + (c.name || "certificat");
}

async function verifyText(text) {
  let credential;
  try {
    credential = JSON.parse(text);
  } catch (err) {
    show("error", { reasons: ["Ce n'est pas du JSON / not JSON: " + err.message] });
    return;
  }
  try {
    const response = await fetch("verify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(credential),
    });
    const data = await response.json();
    if (!response.ok) { show("error", { reasons: [data.error || data.detail || response.statusText] }); return; }
    show(data.verdict, data);
  } catch (err) {
    show("error", { reasons: [String(err)] });
  }
}

async function openById(id) {
  el("credential").value = "";
  try {
    const response = await fetch("credentials/" + encodeURIComponent(id));
    const text = await response.text();
    if (!response.ok) {
      let message = response.statusText;
      try { message = JSON.parse(text).error || message; } catch (err) { /* keep status text */ }
      show("error", { reasons: [message] });
      return;
    }
    el("credential").value = text;
    await verifyText(text);
  } catch (err) {
    show("error", { reasons: [String(err)] });
  }
}

el("check").addEventListener("click", () => verifyText(el("credential").value));
el("file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) { return; }
  const text = await file.text();
  el("credential").value = text;
  await verifyText(text);
});

const id = new URLSearchParams(window.location.search).get("id");
if (id) { openById(id); }
