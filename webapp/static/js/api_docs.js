// The API reference page: Swagger UI (served by the app from the flask-swagger-ui
// package) over /api/v1/openapi.json. No validator badge (it would call another site);
// "Try it out" from a signed-in browser sends the page's CSRF token, as the app's own
// scripts do; an API token can be given with "Authorize" instead.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    requestInterceptor: function (req) {
      if (csrf && !req.headers.Authorization) {
        req.headers["X-CSRFToken"] = csrf.content;
      }
      return req;
    },
  });
})();
