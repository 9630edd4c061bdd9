// The steward's merge review page: GraphQL over fetch, no page reloads, works offline.
// Every operation is one literal; ${NAME} only for a `const NAME = "..."` declared once
// (make trusted-documents lists them as the page sends them).
"use strict";
const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("c360-key") || "", items: [], selected: -1, cursor: null, history: [] };

async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + state.key },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const error = new Error(body.errors[0].message);
    error.code = (body.errors[0].extensions || {}).code;
    throw error;
  }
  return body.data;
}

// A mutation's refusal a steward can act on comes back as userErrors, not as an error.
function payload(result) {
  if (result.userErrors && result.userErrors.length) {
    const error = new Error(result.userErrors.map((e) => e.message).join("; "));
    error.code = result.userErrors[0].code;
    throw error;
  }
  return result;
}
const USER_ERRORS = "userErrors { field message code }";
const RECORD = "id source sourceId customerId name localNetwork segment loadedAt changedAt";
const HOLDINGS = `id name sourceRecords(first: 5) { totalCount nodes { id source sourceId } }
  accounts(first: 5) { totalCount nodes { id accountType status } }
  subscriptions(first: 5) { totalCount nodes { id productType status serviceNumber } }`;
const PREVIEW = `survivorId absorbedId recordCount name certificateType certificateNumber phones email address
  birthDate gender localNetwork segment organisationClass customerGroup sources refusal { message code }`;

function say(text, isError = false) { $("status").textContent = text; $("status").className = isError ? "error" : ""; }
function fail(error) { say(`${error.code || "ERROR"}: ${error.message}`, true); }
function text(value) {
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  return value === null || value === undefined || value === "" ? "—" : String(value);
}
function word(value) { return value ? String(value).toLowerCase().replace(/_/g, " ") : value; }
function when(value) { return value ? value.replace("T", " ").slice(0, 16) : value; }
function age(created) {
  const seconds = Math.max(0, (Date.now() - Date.parse(created)) / 1000);
  if (!created || Number.isNaN(seconds)) return "";
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit}`;
  }
  return `${Math.floor(seconds)} s`;
}
function cells(tr, values) {
  for (const [cls, value] of values) {
    const td = document.createElement("td"); td.className = cls; td.textContent = text(value); tr.append(td);
  }
  return tr;
}

// Why a pair is in review, and what its department and blocking rule mean, in words (DOMAIN.md §3).
const RULES = {
  score: "the match score is between the thresholds: too alike to keep apart, not sure enough to merge by itself",
  same_certificate_different_name: "the same valid certificate under two names (同证不同名): a renamed customer, or a certificate typed onto the wrong one",
  organisations_across_local_networks: "an organisation in two local networks: never merged automatically, its department decides",
  invalid_certificate_against_valid: "one certificate failed its check and the other is valid: only a steward may join them",
};
const DEPARTMENTS = {
  data_stewards: "any data steward may decide",
  organisation_customers: "the organisation customers' department (政企客户部) decides; another steward's approval is refused",
};
const BLOCKING = {
  certificate: "the same certificate number", phone: "a shared phone number", email: "a shared e-mail",
  name_birth_date: "the same name and birth date", name_pinyin_local_network: "a name that sounds alike in one local network",
  birth_date_name_part: "the same birth date and half of the name (surname or given name) in one local network",
  birth_date_local_network: "the same birth date in one local network", address: "the same address",
  address_numbers: "the numbers of the address", name_word_address_number: "a word of the name and an address number",
};
const PUBLIC_SEGMENTS = ["INDIVIDUAL", "HOUSEHOLD"];

// The hard merge rules (不同证件不同客户, 本地网, 客户群) as they bear on these two records.
function hardRules(left, right, comparisons) {
  const rules = [];
  const certificate = comparisons.find((c) => c.field === "certificate");
  if (certificate && certificate.level !== "missing") {
    rules.push(certificate.differs ? "Different certificate numbers are never one customer (不同证件不同客户): the certificates must be the same person's."
      : "Same certificate number: the rule of different certificates does not stand in the way.");
  }
  const publicSide = (r) => PUBLIC_SEGMENTS.includes(r.segment);
  if (left.localNetwork !== right.localNetwork) {
    rules.push(publicSide(left) && publicSide(right)
      ? `Public customers of two local networks (${left.localNetwork}, ${right.localNetwork}) are never merged.`
      : `An organisation across local networks (${left.localNetwork}, ${right.localNetwork}): the organisation customers' department decides.`);
  } else {
    rules.push(`One local network (${text(left.localNetwork)}): records of one customer group there must be merged.`);
  }
  if (publicSide(left) !== publicSide(right)) {
    rules.push("Two customer groups (public, organisation): merged only at the same location, taking the higher group.");
  }
  return rules;
}

const QUEUE = `query($department: String, $minScore: Float, $sort: ReviewSort!, $after: String) {
  reviewQueue(department: $department, minScore: $minScore, sort: $sort, first: 50, after: $after) {
    nodes { id probability rule department createdAt left { ${RECORD} } right { ${RECORD} } }
    pageInfo { hasNextPage endCursor } } }`;
const COUNTS = `{ reviewQueue(first: 1) { counts { status department candidates } } }`;
const DETAIL = `query($id: ID!) { matchCandidate(id: $id) {
  candidate { id status probability rule blockingRule department createdAt }
  left { ${RECORD} customer { ${HOLDINGS} } } right { ${RECORD} customer { ${HOLDINGS} } }
  comparisons { field level weight left right differs }
  mergePreview { ${PREVIEW} } } }`;
const APPROVE = `mutation($id: ID!) { approveCandidate(id: $id) {
  result { eventId survivorId absorbedId moved } ${USER_ERRORS} } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectCandidate(id: $id, reason: $reason) {
  candidate { id status } ${USER_ERRORS} } }`;
const UNMERGE = `mutation($id: ID!) { unmerge(eventId: $id) {
  result { survivorId absorbedId moved } ${USER_ERRORS} } }`;
const HISTORY = `query($id: ID!) { mergeHistory(customerId: $id, first: 100) {
  nodes { id kind at decidedBy survivorId absorbedId undoneAt } } }`;
const SEARCH = `query($text: String!) { searchCustomers(text: $text, first: 20) {
  nodes { id name localNetwork segment sources } } }`;
const PROGRESS = `{ mergeProgress { localNetwork customerGroup customers users customersPerUser } }`;

async function loadProgress() {
  const data = await gql(PROGRESS, {});
  $("progress").querySelector("tbody").replaceChildren(...data.mergeProgress.map((row) => cells(document.createElement("tr"),
    [row.localNetwork, row.customerGroup.toLowerCase(), row.customers, row.users, row.customersPerUser.toFixed(4)].map((v) => ["", v]))));
}

// The pending count and the departments present, whatever the filters: after every action.
async function loadCounts() {
  const counts = (await gql(COUNTS, {})).reviewQueue.counts;
  const pending = counts.filter((c) => c.status === "PENDING").reduce((n, c) => n + c.candidates, 0);
  $("counts").textContent = pending + " pending";
  const select = $("f-department");
  const chosen = select.value;
  const departments = [...new Set(counts.map((c) => c.department).filter(Boolean))].sort();
  if (chosen && !departments.includes(chosen)) departments.push(chosen);
  select.replaceChildren(new Option("any", ""), ...departments.map((d) => {
    const n = counts.filter((c) => c.department === d && c.status === "PENDING").reduce((k, c) => k + c.candidates, 0);
    return new Option(`${d} (${n})`, d);
  }));
  select.value = chosen;
}

async function loadQueue(append = false) {
  const data = await gql(QUEUE, {
    department: $("f-department").value || null,
    minScore: $("f-min").value === "" ? null : Number($("f-min").value),
    sort: $("f-sort").value.toUpperCase(), after: append ? state.cursor : null,
  });
  const queue = data.reviewQueue;
  state.items = append ? state.items.concat(queue.nodes) : queue.nodes;
  state.cursor = queue.pageInfo.endCursor;
  $("more").hidden = !queue.pageInfo.hasNextPage;
  renderQueue();
  if (!append) await select(state.items.length ? 0 : -1);
}

function side(record) {
  return record ? `${text(record.name)} · ${record.source} · ${text(record.localNetwork)}` : "—";
}

function renderQueue() {
  const list = $("queue");
  list.replaceChildren(...state.items.map((item, index) => {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    li.className = index === state.selected ? "selected" : "";
    li.innerHTML = `<div class="pair"><span class="left"></span><span class="right"></span></div>
      <div class="meta"><span class="score"></span><span class="age"></span><span class="rule"></span><span class="department"></span></div>`;
    li.querySelector(".left").textContent = side(item.left);
    li.querySelector(".right").textContent = "↔ " + side(item.right);
    li.querySelector(".score").textContent = item.probability.toFixed(4);
    li.querySelector(".age").textContent = age(item.createdAt);
    li.querySelector(".rule").textContent = item.rule || "";
    li.querySelector(".department").textContent = item.department || "";
    li.addEventListener("click", () => select(index));
    return li;
  }));
}

function renderCustomer(box, record, label) {
  const customer = record.customer;
  box.replaceChildren();
  const h = document.createElement("h3");
  h.textContent = `${label}: customer ${text(record.customerId)}` + (customer ? ` · ${text(customer.name)}` : "");
  box.append(h);
  if (!customer) return;
  const others = customer.sourceRecords ? customer.sourceRecords.nodes.filter((r) => r.id !== record.id) : [];
  const lists = [
    ["records", customer.sourceRecords, others.map((r) => `${r.source}:${r.sourceId}`), "other"],
    ["accounts", customer.accounts, customer.accounts.nodes.map((a) => `${a.id} ${word(a.accountType)} ${word(a.status)}`)],
    ["subscriptions", customer.subscriptions, customer.subscriptions.nodes.map((s) => `${text(s.serviceNumber)} ${word(s.productType)} ${word(s.status)}`)],
  ];
  const ul = document.createElement("ul");
  for (const [name, connection, shown, other] of lists) {
    const li = document.createElement("li");
    li.className = name;
    const total = connection ? connection.totalCount : null;
    const count = other ? `${text(total)} (${Math.max(0, (total || 0) - 1)} other)` : text(total);
    li.textContent = `${name}: ${count}` + (shown.length ? " — " + shown.join("; ") : "");
    ul.append(li);
  }
  box.append(ul);
}

async function select(index) {
  state.selected = index;
  renderQueue();
  $("history").replaceChildren(); $("history-title").hidden = true;
  if (index < 0 || index >= state.items.length) { $("detail").hidden = true; $("empty").hidden = false; return; }
  const data = await gql(DETAIL, { id: state.items[index].id });
  const detail = data.matchCandidate;
  const { left, right } = detail;
  $("empty").hidden = true; $("detail").hidden = false;
  $("title").textContent = `${text(left.name)} (${left.source}:${left.sourceId})  ↔  ${text(right.name)} (${right.source}:${right.sourceId})`;
  const c = detail.candidate;
  const why = [
    `Probability ${c.probability.toFixed(4)}, in review ${age(c.createdAt)}.`,
    `Why in review (${text(c.rule)}): ${RULES[c.rule] || "the rule " + text(c.rule)}.`,
    `Found by ${text(c.blockingRule)}: ${BLOCKING[c.blockingRule] || "its blocking rule"}.`,
    `Department ${text(c.department)}: ${DEPARTMENTS[c.department] || "that department decides"}.`,
    ...hardRules(left, right, detail.comparisons).map((r) => "Rule: " + r),
  ];
  $("why").replaceChildren(...why.map((line) => { const p = document.createElement("p"); p.textContent = line; return p; }));
  const recordRows = [["source", "source"], ["source id", "sourceId"], ["customer", "customerId"], ["name", "name"],
    ["local network", "localNetwork"], ["segment", "segment"], ["loaded", "loadedAt"], ["changed", "changedAt"]];
  $("records").tBodies[0].replaceChildren(...recordRows.map(([label, key]) => {
    const shown = (r) => (key.endsWith("At") ? when(r[key]) : key === "segment" ? word(r[key]) : r[key]);
    const tr = cells(document.createElement("tr"), [["field", label], ["value", shown(left)], ["value", shown(right)]]);
    tr.className = left[key] === right[key] || key.endsWith("At") || key.startsWith("source") ? "" : "differs";
    return tr;
  }));
  $("comparison").tBodies[0].replaceChildren(...detail.comparisons.map((f) => {
    const tr = cells(document.createElement("tr"), [["field", f.field], ["value", f.left], ["value", f.right], ["level", f.level],
      ["weight " + (f.weight < 0 ? "neg" : "pos"), f.weight.toFixed(2)]]);
    tr.className = f.differs ? "differs" : "agrees";
    return tr;
  }));
  renderCustomer($("left-customer"), left, "Left");
  renderCustomer($("right-customer"), right, "Right");
  const preview = detail.mergePreview;
  $("refusal").className = preview && preview.refusal ? "error" : "";
  $("refusal").textContent = !preview ? "Nothing to merge."
    : preview.refusal ? `Approving would be refused: ${preview.refusal.code}: ${preview.refusal.message}`
    : `Customer ${preview.absorbedId} would merge into ${preview.survivorId}, ${preview.recordCount} records.`;
  const attributes = preview ? [["name", preview.name], ["certificate", `${word(preview.certificateType) || ""} ${text(preview.certificateNumber)}`],
    ["phones", preview.phones], ["e-mail", preview.email], ["address", preview.address], ["birth date", preview.birthDate],
    ["gender", word(preview.gender)], ["local network", preview.localNetwork], ["segment", word(preview.segment)],
    ["organisation class", word(preview.organisationClass)], ["customer group", word(preview.customerGroup)],
    ["sources", preview.sources], ["records", preview.recordCount]] : [];
  $("preview").tBodies[0].replaceChildren(...attributes.map(([label, value]) =>
    cells(document.createElement("tr"), [["field", label], ["value", value]])));
  state.detail = detail;
}

// A modal question: resolves to {reason} when confirmed, null when cancelled (Esc or Cancel).
function confirmAction(title, body, withReason = false) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = body;
  $("confirm-reason-label").hidden = !withReason;
  $("confirm-reason").value = "";
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? { reason: $("confirm-reason").value.trim() } : null),
      { once: true });
    dialog.showModal();
    (withReason ? $("confirm-reason") : $("confirm-ok")).focus();
  });
}

async function decide(kind) {
  const item = state.items[state.selected];
  if (!item) return;
  const pair = `${side(item.left)}  ↔  ${side(item.right)}`;
  const answer = kind === "approve"
    ? await confirmAction("Merge these two customers? 核实归并", pair)
    : await confirmAction("Not the same customer? 不是同一客户", pair, true);
  if (!answer) { say(`${kind} cancelled`); return; }
  try {
    if (kind === "approve") {
      const r = payload((await gql(APPROVE, { id: item.id })).approveCandidate).result;
      say(`merged ${r.absorbedId} into ${r.survivorId} (${r.moved} moved), event ${r.eventId}`);
    } else {
      payload((await gql(REJECT, { id: item.id, reason: answer.reason })).rejectCandidate);
      say(`rejected ${item.id}` + (answer.reason ? `: ${answer.reason}` : ""));
    }
    state.items.splice(state.selected, 1);
    renderQueue();
    await loadCounts();
    await select(Math.min(state.selected, state.items.length - 1));
  } catch (error) { fail(error); }
}

async function showHistory(ids, title) {
  const events = [];
  for (const id of ids) events.push(...(await gql(HISTORY, { id })).mergeHistory.nodes);
  state.history = events.filter((e, i) => events.findIndex((x) => x.id === e.id) === i);
  state.historyOf = { ids, title };
  $("history-title").hidden = false;
  $("history-title").textContent = title;
  $("history").replaceChildren(...state.history.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${when(e.at)} ${e.kind.toLowerCase()} ${e.absorbedId} → ${e.survivorId} by ${text(e.decidedBy)}`
      + (e.undoneAt ? ` (undone ${when(e.undoneAt)})` : "");
    if (e.kind === "MERGE" && !e.undoneAt) {
      const button = document.createElement("button");
      button.type = "button"; button.textContent = "Unmerge"; button.className = "unmerge";
      button.addEventListener("click", () => unmerge(e));
      li.append(" ", button);
    }
    return li;
  }));
  if (!state.history.length) say("no merges on " + (ids.length > 1 ? "these customers" : "this customer") + " yet");
}

function candidateHistory() {
  const detail = state.detail;
  if (!detail) return;
  const ids = [...new Set([detail.left.customerId, detail.right.customerId].filter(Boolean))];
  return showHistory(ids, "Merge history of " + ids.join(", "));
}

async function unmerge(event) {
  const answer = await confirmAction("Undo this merge? 撤销归并", `${event.absorbedId} comes back out of ${event.survivorId}; the pair returns to the queue.`);
  if (!answer) { say("unmerge cancelled"); return; }
  try {
    const r = payload((await gql(UNMERGE, { id: event.id })).unmerge).result;
    say(`unmerged ${r.absorbedId} from ${r.survivorId} (${r.moved} moved back)`);
    await showHistory(state.historyOf.ids, state.historyOf.title);
    await loadCounts();
  } catch (error) { fail(error); }
}

async function search() {
  const wanted = $("search-text").value.trim();
  if (wanted.length < 2) { say("type at least two characters to search", true); return; }
  try {
    const found = (await gql(SEARCH, { text: wanted })).searchCustomers.nodes;
    $("search-results").replaceChildren(...found.map((c) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button"; button.className = "open-history";
      button.textContent = `${text(c.name)} · ${c.id} · ${text(c.localNetwork)} · ${text(word(c.segment))}`;
      button.addEventListener("click", () => showHistory([c.id], `Merge history of ${text(c.name)} (${c.id})`).catch(fail));
      li.append(button);
      return li;
    }));
    say(found.length ? `${found.length} customers found` : `no customer matches ${wanted}`);
  } catch (error) { fail(error); }
}

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
  if (typing || $("app").hidden || $("confirm").open || event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    j: () => select(Math.min(state.selected + 1, state.items.length - 1)),
    k: () => select(Math.max(state.selected - 1, 0)),
    a: () => decide("approve"), r: () => decide("reject"), h: () => candidateHistory(),
    u: () => { const open = state.history.find((e) => e.kind === "MERGE" && !e.undoneAt); if (open) return unmerge(open); },
  };
  if (actions[event.key]) { event.preventDefault(); Promise.resolve(actions[event.key]()).catch(fail); }
});

async function start() {
  $("login").hidden = !!state.key; $("who").hidden = !state.key; $("app").hidden = !state.key;
  if (!state.key) return;
  try {
    await loadCounts();
    say("");  // a refusal of an earlier key is no longer true
    await loadQueue(); await loadProgress();
  } catch (error) {
    fail(error);
    if (error.code === "UNAUTHENTICATED") {
      sessionStorage.removeItem("c360-key"); state.key = "";
      $("login").hidden = false; $("who").hidden = true; $("app").hidden = false;
    }
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault(); state.key = $("key").value.trim(); sessionStorage.setItem("c360-key", state.key); start();
});
$("logout").addEventListener("click", () => { sessionStorage.removeItem("c360-key"); state.key = ""; location.reload(); });
$("filters").addEventListener("submit", (event) => { event.preventDefault(); loadQueue().catch(fail); });
$("f-department").addEventListener("change", () => loadQueue().catch(fail));
$("more").addEventListener("click", () => loadQueue(true).catch(fail));
$("approve").addEventListener("click", () => decide("approve"));
$("reject").addEventListener("click", () => decide("reject"));
$("history-btn").addEventListener("click", () => Promise.resolve(candidateHistory()).catch(fail));
$("search").addEventListener("submit", (event) => { event.preventDefault(); search(); });
start();
