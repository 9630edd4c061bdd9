// The GraphiQL page c360 serves at GET /graphql (app/api/graphiql.html loads this bundle): everything
// comes from the app itself, so the page works on an intranet without internet access.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

// The API answers only with a key: GraphiQL's headers editor starts with the header to fill in.
const defaultHeaders = '{\n  "Authorization": "Bearer "\n}';
const defaultQuery = `# c360's GraphQL API. Every query needs an API key:
# put yours in the Authorization header below.
# \`make run\` keeps the local admin's key in
# var/local-admin.key. Run with Ctrl-Enter.
{
  store {
    backend
    ok
  }
}
`;

const url = window.location.href.split(/[?#]/)[0];
const fetcher = createGraphiQLFetcher({ url });

createRoot(document.getElementById('graphiql')).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery,
    defaultHeaders,
    defaultEditorToolsVisibility: 'headers',
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  }),
);
