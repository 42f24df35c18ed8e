// The plan's "Testing Framework Setup" script (infrastructure-scaling-plan.md, "Load
// Testing Strategy"), as capsim reads it. Changes from the plan, all minimal:
//  - `require('k6')` lines turned into the standard imports, and `k6.http.get/post` into
//    `http.get/post` (k6 has no `k6.http`);
//  - the four helpers the plan calls but never defines, in ./helpers.js: getRandomToken,
//    generateMockProof, testAPIEndpoints, testWebSocketConnections (see there).
// Run it as the plan's baseline does:
//   capsim run experiments/scripts/load-testing-framework.js \
//     --model models/hamballer-phase9.yaml --vus 500 --duration 10m
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Rate, Trend, Counter } from 'k6/metrics';
import {
  getRandomToken,
  generateMockProof,
  testAPIEndpoints,
  testWebSocketConnections,
} from './helpers.js';

// Custom metrics
const errorRate = new Rate('errors');
const responseTime = new Trend('response_time');
const throughput = new Counter('requests');

// Test scenarios
export const options = {
  scenarios: {
    // Scenario 1: Gradual ramp-up
    gradual_ramp: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '5m', target: 100 },   // Ramp up to 100 users
        { duration: '10m', target: 500 },  // Ramp up to 500 users
        { duration: '15m', target: 1000 }, // Ramp up to 1000 users
        { duration: '20m', target: 2000 }, // Ramp up to 2000 users
        { duration: '30m', target: 5000 }, // Peak load: 5000 users
        { duration: '15m', target: 2000 }, // Ramp down
        { duration: '10m', target: 0 },    // Cool down
      ],
    },

    // Scenario 2: Spike testing
    spike_test: {
      executor: 'ramping-vus',
      startTime: '60m',
      startVUs: 500,
      stages: [
        { duration: '1m', target: 5000 },  // Sudden spike
        { duration: '5m', target: 5000 },  // Sustain spike
        { duration: '1m', target: 500 },   // Drop back
      ],
    },

    // Scenario 3: Stress testing
    stress_test: {
      executor: 'ramping-vus',
      startTime: '70m',
      startVUs: 1000,
      stages: [
        { duration: '10m', target: 7500 }, // Beyond target capacity
        { duration: '20m', target: 10000 }, // Extreme load
        { duration: '10m', target: 1000 }, // Recovery
      ],
    }
  },

  thresholds: {
    http_req_duration: ['p(95)<500'], // 95% under 500ms
    http_req_failed: ['rate<0.01'],   // Error rate under 1%
    'errors': ['rate<0.01'],
    'response_time': ['p(95)<400'],
  }
};

// Main test function
export default function() {
  const BASE_URL = 'https://api.hamballer.xyz';

  // Test badge claim flow (most critical path)
  testBadgeClaimFlow(BASE_URL);

  // Test various endpoints
  testAPIEndpoints(BASE_URL);

  // Test WebSocket connections
  testWebSocketConnections(BASE_URL);

  sleep(Math.random() * 2 + 1); // Random sleep 1-3 seconds
}

function testBadgeClaimFlow(baseUrl) {
  // 1. Get user status
  let response = http.get(`${baseUrl}/api/badges/status`, {
    headers: { 'Authorization': `Bearer ${getRandomToken()}` }
  });

  check(response, {
    'status endpoint responds': (r) => r.status === 200,
    'status response time OK': (r) => r.timings.duration < 300,
  });

  // 2. Generate ZK proof (simulated)
  const proofTime = Math.random() * 3000 + 1000; // 1-4 seconds
  sleep(proofTime / 1000);

  // 3. Submit badge claim
  const claimPayload = {
    badgeType: Math.floor(Math.random() * 5) + 1,
    xpAmount: Math.floor(Math.random() * 100) + 50,
    proof: generateMockProof()
  };

  response = http.post(`${baseUrl}/api/badges/claim`, JSON.stringify(claimPayload), {
    headers: {
      'Content-Type': 'application/json',
      'Authorization': `Bearer ${getRandomToken()}`
    }
  });

  const success = check(response, {
    'claim endpoint responds': (r) => r.status === 200 || r.status === 202,
    'claim response time OK': (r) => r.timings.duration < 1000,
  });

  // Update metrics
  errorRate.add(!success);
  responseTime.add(response.timings.duration);
  throughput.add(1);
}
