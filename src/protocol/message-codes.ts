/** WAMP v2 message type codes (WAMP spec, "Message Codes and Direction"). */
export const MessageCode = {
  HELLO: 1,
  WELCOME: 2,
  ABORT: 3,
  CHALLENGE: 4,
  AUTHENTICATE: 5,
  GOODBYE: 6,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  UNSUBSCRIBE: 34,
  UNSUBSCRIBED: 35,
  EVENT: 36,
  CALL: 48,
  CANCEL: 49,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  UNREGISTER: 66,
  UNREGISTERED: 67,
  INVOCATION: 68,
  INTERRUPT: 69,
  YIELD: 70,
} as const

export type MessageCodeValue = (typeof MessageCode)[keyof typeof MessageCode]

const names: Record<number, string> = Object.fromEntries(Object.entries(MessageCode).map(([k, v]) => [v, k]))

/** "CALL" for 48; "#99" for a code WAMP does not define. */
export function messageName(code: number): string {
  return names[code] ?? `#${code}`
}
