/**
 * The problem types the service answers with (RFC 9457, named the Belgian government way:
 * `urn:problem-type:belgif:<kind>`), each with its status and title.
 */
export const ProblemKinds = {
  badRequest: { status: 400, title: 'Bad Request' },
  noAccessToken: { status: 401, title: 'No Access Token' },
  invalidAccessToken: { status: 401, title: 'Invalid Access Token' },
  expiredAccessToken: { status: 401, title: 'Expired Access Token' },
  missingPermission: { status: 403, title: 'Missing Permission' },
  resourceNotFound: { status: 404, title: 'Resource Not Found' },
  methodNotAllowed: { status: 405, title: 'Method Not Allowed' },
  notAcceptable: { status: 406, title: 'Not Acceptable' },
  requestTimeout: { status: 408, title: 'Request Timeout' },
  payloadTooLarge: { status: 413, title: 'Payload Too Large' },
  uriTooLong: { status: 414, title: 'URI Too Long' },
  unsupportedMediaType: { status: 415, title: 'Unsupported Media Type' },
  expectationFailed: { status: 417, title: 'Expectation Failed' },
  requestHeaderFieldsTooLarge: { status: 431, title: 'Request Header Fields Too Large' },
  tooManyRequests: { status: 429, title: 'Too Many Requests' },
  internalServerError: { status: 500, title: 'Internal Server Error' },
  serviceUnavailable: { status: 503, title: 'Service Unavailable' },
} as const;

export type ProblemKind = keyof typeof ProblemKinds;
