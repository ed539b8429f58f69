// Every variation (a wrong type, a missing or extra field, a value past a limit) is refused
// with a clear 4xx and the API's error object, never a 5xx.
pm.test("a clear 4xx, never a 5xx", function () {
  pm.expect(pm.response.code).to.be.within(400, 499);
});
pm.test("the error object of the API", function () {
  const body = pm.response.json();
  pm.expect(body.error).to.match(/^[a-z0-9_]+$/);
});
