// The GraphQL calls of the dashboard, with errors a person can act on.

export const MODELS_QUERY = "query DashboardModels { vehicleModels { id name } }";
export const METRICS_QUERY = `query Dashboard($filter: EngagementFilter) {
  engagementMetrics(filter: $filter) {
    owners npsScore csatPercent responses
    digitalEngagementRate notificationOpenRate notificationActionRate
    serviceRetentionRate firstTimeFixRate
    stageFunnel { stage owners }
    stageTransitions { from to count }
    byTouchpoint { touchpoint nps csat responses }
    byRegion { region serviceRetentionRate firstTimeFixRate owners }
    timeSeries(interval: MONTH) { periodStart npsScore csatPercent responses
      digitalEngagementRate notificationOpenRate notificationActionRate }
  }
}`;

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const AUTH_MESSAGES = {
  UNAUTHENTICATED: "The token was refused (missing, invalid or expired). Sign in again.",
  FORBIDDEN: "This token may not read analytics: it needs the OEM_ANALYST or ADMIN role.",
};

export async function graphql(query, variables, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The server cannot be reached.", "NETWORK");
  }
  if (response.status === 401) throw new ApiError(AUTH_MESSAGES.UNAUTHENTICATED, "UNAUTHENTICATED");
  if (response.status === 403) throw new ApiError(AUTH_MESSAGES.FORBIDDEN, "FORBIDDEN");
  const body = await response.json().catch(() => null);
  if (body && body.errors && body.errors.length) {
    const code = (body.errors[0].extensions || {}).code || "ERROR";
    const text = body.errors.map((error) => error.message).join("; ");
    throw new ApiError(AUTH_MESSAGES[code] || `The server refused the query: ${text}`, code);
  }
  if (!response.ok || !body) throw new ApiError(`The server answered ${response.status}.`, "HTTP");
  return body.data;
}
