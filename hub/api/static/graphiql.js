// Starts GraphiQL on the hub's page (hub/api/static/graphiql.html): queries and mutations
// go to this page's own URL, subscriptions to the same URL over a websocket. A token goes
// into the headers pane as {"Authorization": "Bearer …"}.
"use strict";

const DEFAULT_QUERY = `# Evenly hub GraphiQL.
#
# Get a token (see the README's quickstart), then put it in the Headers pane below:
#   {"Authorization": "Bearer <token>"}
# and run this query with Ctrl-Enter or the play button.
{
  viewer {
    clientId
    scopes
    organization { name kind }
  }
}
`;

function websocketUrl(url) {
  const parsed = new URL(url);
  parsed.protocol = parsed.protocol === "https:" ? "wss:" : "ws:";
  parsed.hash = "";
  return parsed.toString();
}

const pageUrl = window.location.href.split(/[?#]/)[0];
const fetcher = GraphiQL.createFetcher({
  url: pageUrl,
  subscriptionUrl: websocketUrl(pageUrl),
});

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
  }),
);
