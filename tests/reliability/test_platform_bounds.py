"""Issue 11 item 6: what the platform passes through is bounded.

A Lambda-Runtime-Client-Context or Lambda-Runtime-Cognito-Identity nested
250 levels deep (500 bytes) leaves that context field nil with one WARN line
and the handler runs; a handler error with a 7 MB type, a 7 MB message and a
deep stack posts a body within the documented 75 KiB (docs/reliability.md).
"""

from rtutil import ERROR_TYPE_HEADER, RuntimeTestCase, main

ERROR_BODY_LIMIT = 75 * 1024

HANDLER = r"""
local router = require("router")
router.custom(function(event, context)
  if event.mode == "huge_error" then
    local function deep(n)
      if n == 0 then
        error({type = string.rep("T", 7 * 1024 * 1024),
               message = string.rep("\1", 7 * 1024 * 1024)})
      end
      return (deep(n - 1))
    end
    deep(5000)
  end
  local cc = context.client_context
  return {cc = cc == nil and "nil" or cc.custom.k,
          id = context.identity == nil and "nil" or context.identity.cognitoIdentityId}
end)
"""

DEEP = "[" * 250 + "]" * 250
GOOD_CC = '{"custom": {"k": "v"}}'
GOOD_ID = '{"cognitoIdentityId": "abc"}'


class PlatformBounds(RuntimeTestCase):

    def invoke_with(self, cc, identity):
        rt = self.start(HANDLER)
        self.mock.push_event({}, headers={
            "Lambda-Runtime-Client-Context": cc,
            "Lambda-Runtime-Cognito-Identity": identity})
        (post,) = self.posts(rt, 1)
        self.assertEqual(post.kind, "response", rt.logs())
        return post.json(), rt

    def test_deep_client_context(self):
        body, rt = self.invoke_with(DEEP, GOOD_ID)
        self.assertEqual(body, {"cc": "nil", "id": "abc"})
        warns = [line for line in rt.stderr().splitlines()
                 if "context.client_context left nil" in line]
        self.assertEqual(len(warns), 1, rt.logs())
        self.assertIn("WARN", warns[0])

    def test_deep_cognito_identity(self):
        body, rt = self.invoke_with(GOOD_CC, DEEP)
        self.assertEqual(body, {"cc": "v", "id": "nil"})
        warns = [line for line in rt.stderr().splitlines()
                 if "context.identity left nil" in line]
        self.assertEqual(len(warns), 1, rt.logs())

    def test_nul_in_a_context_string_is_kept(self):
        # Issue 11 item 9: the context headers keep every byte too.
        body, rt = self.invoke_with('{"custom": {"k": "a\\u0000b"}}',
                                    '{"cognitoIdentityId": "x\\u0000y"}')
        self.assertEqual(body, {"cc": "a\u0000b", "id": "x\u0000y"}, rt.logs())

    def test_nul_in_an_error_message_is_kept(self):
        rt = self.start(r"""
local router = require("router")
router.custom(function() error({type = "Nul.Kept", message = "a\0b"}) end)
""")
        self.mock.push_event({})
        (post,) = self.posts(rt, 1)
        self.assertEqual(post.json()["errorMessage"], "a\u0000b", rt.logs())

    def test_invalid_json_context_is_a_warning_too(self):
        body, rt = self.invoke_with("{nope", GOOD_ID)
        self.assertEqual(body, {"cc": "nil", "id": "abc"})
        self.assertIn("context.client_context left nil", rt.stderr())

    def test_huge_error_body_is_capped(self):
        rt = self.start(HANDLER)
        self.mock.push_event({"mode": "huge_error"})
        self.mock.push_event({})
        first, second = self.posts(rt, 2)
        self.assertLessEqual(len(first.body), ERROR_BODY_LIMIT,
                             "error body of %d bytes" % len(first.body))
        body = first.json()
        self.assertEqual(body["errorType"], "T" * 127)
        self.assertEqual(first.headers.get(ERROR_TYPE_HEADER), "T" * 127)
        self.assertIn("bytes cut]", body["errorMessage"])
        self.assertEqual(second.kind, "response", rt.logs())


if __name__ == "__main__":
    main()
