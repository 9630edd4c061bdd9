// The steward's merge review page: GraphQL over fetch, no page reloads, works offline.
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

function say(text, isError = false) { $("status").textContent = text; $("status").className = isError ? "error" : ""; }
function text(value) { return value === null || value === undefined || value === "" ? "—" : String(value); }

const QUEUE = `query($department: String, $minScore: Float, $sort: ReviewSort!, $after: String) {
  reviewQueue(department: $department, minScore: $minScore, sort: $sort, first: 50, after: $after) {
    nodes { id probability rule department createdAt }
    pageInfo { hasNextPage endCursor } counts { status department candidates } } }`;
const DETAIL = `query($id: ID!) { matchCandidate(id: $id) {
  candidate { id status probability rule blockingRule department }
  left { id source sourceId customerId } right { id source sourceId customerId }
  comparisons { field level weight left right differs } } }`;

const PROGRESS = `{ mergeProgress { localNetwork customerGroup customers users customersPerUser } }`;

async function loadProgress() {
  const data = await gql(PROGRESS, {});
  $("progress").querySelector("tbody").replaceChildren(...data.mergeProgress.map((row) => {
    const tr = document.createElement("tr");
    for (const value of [row.localNetwork, row.customerGroup.toLowerCase(), row.customers, row.users, row.customersPerUser.toFixed(4)]) {
      const td = document.createElement("td");
      td.textContent = text(value);
      tr.append(td);
    }
    return tr;
  }));
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
  const pending = queue.counts.filter((c) => c.status === "PENDING").reduce((n, c) => n + c.candidates, 0);
  $("counts").textContent = pending + " pending";
  renderQueue();
  if (!append) await select(state.items.length ? 0 : -1);
}

function renderQueue() {
  const list = $("queue");
  list.replaceChildren(...state.items.map((item, index) => {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    li.className = index === state.selected ? "selected" : "";
    li.innerHTML = `<span class="rule"></span><span class="score"></span>`;
    li.querySelector(".rule").textContent = item.rule + (item.department ? " · " + item.department : "");
    li.querySelector(".score").textContent = item.probability.toFixed(3);
    li.addEventListener("click", () => select(index));
    return li;
  }));
}

async function select(index) {
  state.selected = index;
  renderQueue();
  $("history").replaceChildren();
  if (index < 0 || index >= state.items.length) { $("detail").hidden = true; $("empty").hidden = false; return; }
  const data = await gql(DETAIL, { id: state.items[index].id });
  const detail = data.matchCandidate;
  $("empty").hidden = true; $("detail").hidden = false;
  $("title").textContent = `${detail.left.source}:${detail.left.sourceId}  ↔  ${detail.right.source}:${detail.right.sourceId}`;
  const c = detail.candidate;
  $("why").textContent = `rule ${c.rule} · found by ${c.blockingRule} · probability ${c.probability.toFixed(4)}`
    + (c.department ? ` · department ${c.department}` : "");
  const rows = detail.comparisons.map((f) => {
    const tr = document.createElement("tr");
    tr.className = f.differs ? "differs" : "agrees";
    for (const [cls, value] of [["field", f.field], ["value", f.left], ["value", f.right], ["level", f.level],
                                ["weight " + (f.weight < 0 ? "neg" : "pos"), f.weight.toFixed(2)]]) {
      const td = document.createElement("td"); td.className = cls; td.textContent = text(value); tr.appendChild(td);
    }
    return tr;
  });
  $("comparison").tBodies[0].replaceChildren(...rows);
  state.detail = detail;
}

async function decide(kind) {
  const item = state.items[state.selected];
  if (!item) return;
  try {
    if (kind === "approve") {
      const data = await gql(`mutation($id: ID!) { approveCandidate(id: $id) {
        result { eventId survivorId absorbedId moved } ${USER_ERRORS} } }`, { id: item.id });
      const r = payload(data.approveCandidate).result;
      say(`merged ${r.absorbedId} into ${r.survivorId} (${r.moved} moved), event ${r.eventId}`);
    } else {
      const data = await gql(`mutation($id: ID!) { rejectCandidate(id: $id) { candidate { id status } ${USER_ERRORS} } }`,
        { id: item.id });
      payload(data.rejectCandidate);
      say(`rejected ${item.id}`);
    }
    state.items.splice(state.selected, 1);
    renderQueue();
    await select(Math.min(state.selected, state.items.length - 1));
  } catch (error) {
    say(`${error.code || "ERROR"}: ${error.message}`, true);
  }
}

async function showHistory() {
  const detail = state.detail;
  if (!detail) return;
  const ids = [...new Set([detail.left.customerId, detail.right.customerId].filter(Boolean))];
  const events = [];
  for (const id of ids) {
    const data = await gql(`query($id: ID!) { mergeHistory(customerId: $id, first: 100) {
      nodes { id kind at decidedBy survivorId absorbedId undoneAt } } }`, { id });
    events.push(...data.mergeHistory.nodes);
  }
  state.history = events.filter((e, i) => events.findIndex((x) => x.id === e.id) === i);
  $("history").replaceChildren(...state.history.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${e.at} ${e.kind.toLowerCase()} ${e.absorbedId} → ${e.survivorId} by ${text(e.decidedBy)}`
      + (e.undoneAt ? ` (undone ${e.undoneAt})` : "");
    if (e.kind === "MERGE" && !e.undoneAt) {
      const button = document.createElement("button");
      button.textContent = "Unmerge"; button.className = "unmerge";
      button.addEventListener("click", () => unmerge(e.id));
      li.append(" ", button);
    }
    return li;
  }));
  if (!state.history.length) say("no merges on these customers yet");
}

async function unmerge(eventId) {
  try {
    const data = await gql(`mutation($id: ID!) { unmerge(eventId: $id) {
      result { survivorId absorbedId moved } ${USER_ERRORS} } }`, { id: eventId });
    const r = payload(data.unmerge).result;
    say(`unmerged ${r.absorbedId} from ${r.survivorId} (${r.moved} moved back)`);
    await showHistory();
  } catch (error) { say(`${error.code || "ERROR"}: ${error.message}`, true); }
}

document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT" || event.target.tagName === "SELECT" || $("app").hidden) return;
  const actions = {
    j: () => select(Math.min(state.selected + 1, state.items.length - 1)),
    k: () => select(Math.max(state.selected - 1, 0)),
    a: () => decide("approve"), r: () => decide("reject"), h: () => showHistory(),
    u: () => { const open = state.history.find((e) => e.kind === "MERGE" && !e.undoneAt); if (open) unmerge(open.id); },
  };
  if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
});

async function start() {
  $("login").hidden = !!state.key; $("who").hidden = !state.key; $("app").hidden = !state.key;
  if (!state.key) return;
  try { await loadQueue(); await loadProgress(); } catch (error) {
    say(`${error.code || "ERROR"}: ${error.message}`, true);
    if (error.code === "UNAUTHENTICATED") { sessionStorage.removeItem("c360-key"); state.key = ""; $("login").hidden = false; }
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault(); state.key = $("key").value.trim(); sessionStorage.setItem("c360-key", state.key); start();
});
$("logout").addEventListener("click", () => { sessionStorage.removeItem("c360-key"); state.key = ""; location.reload(); });
$("filters").addEventListener("submit", (event) => { event.preventDefault(); loadQueue(); });
$("more").addEventListener("click", () => loadQueue(true));
$("approve").addEventListener("click", () => decide("approve"));
$("reject").addEventListener("click", () => decide("reject"));
$("history-btn").addEventListener("click", () => showHistory());
start();
