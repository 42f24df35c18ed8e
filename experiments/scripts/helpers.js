// Minimal versions of the four helpers infrastructure-scaling-plan.md's load-testing
// script calls but never defines.

// A random bearer token of one of 1,000 test users (`test-token-0` ... `test-token-999`).
// The plan's tokens only authenticate; they do not change which endpoint is called.
export function getRandomToken() {
  return `test-token-${Math.floor(Math.random() * 1000)}`;
}

// A fake zero-knowledge proof: 64 random hex digits, as the claim payload's `proof`.
export function generateMockProof() {
  let proof = '0x';
  for (let i = 0; i < 64; i++) {
    proof += Math.floor(Math.random() * 16).toString(16);
  }
  return proof;
}

// The plan names no endpoints for this step, so it makes no request: the script's load is
// the badge-claim flow, as experiments/baseline.yaml models it. Add `http.get(...)` calls
// here (and endpoints to the model) to test more of the API.
export function testAPIEndpoints(baseUrl) {}

// The plan's WebSocket test is not defined; capsim does not simulate k6/ws, so this is
// empty. A WebSocket test belongs in a separate k6 script.
export function testWebSocketConnections(baseUrl) {}
