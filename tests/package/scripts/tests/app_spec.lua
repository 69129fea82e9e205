-- Test data beside the scripts: package.sh must leave this out.
describe("app", function() it("is not deployed", function() end) end)
