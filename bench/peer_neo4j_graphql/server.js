// Benchmark peer for c360 (issue 15, item 6): the Neo4j GraphQL Library serving the customer view
// from the graph c360 loads into Neo4j. Read-only: no mutations, no authentication, no masking.
//
//   NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=... PORT=4000 node server.js
//
// Labels, relationship types and property names are those of docs/graph-model.md and
// cypher/view/customer_views.cypher; GraphQL field names follow c360's schema where they can.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const typeDefs = /* GraphQL */ `
    # The generated API reads only: no create/update/delete mutations.
    extend schema @mutation(operations: [])

    type Customer @node {
        id: ID!
        version: Int
        status: String
        name: String
        certificateNumber: String @alias(property: "cert_no")
        phones: [String!]
        email: String
        address: String
        segment: String
        localNetwork: String @alias(property: "local_network")
        vipCard: String @alias(property: "vip_card")
        # The data the star level is computed from (c360: app/tiers.py): the customer's bills since
        # a month, averaged over the window's months. The star level and entitlements themselves
        # are the operator's rules, which this peer does not know.
        averageMonthlySpend(since: String!, months: Int!): Float
            @cypher(
                statement: """
                OPTIONAL MATCH (this)-[:HAS_ACCOUNT]->(:Account)<-[:BILL_OF]-(b:Bill)
                WHERE b.month >= $since
                RETURN coalesce(sum(b.amount), 0.0) / $months AS spend
                """
                columnName: "spend"
            )
        accountManagers: [Employee!]! @relationship(type: "MANAGED_BY", direction: OUT, properties: "ManagedBy")
        accounts: [Account!]! @relationship(type: "HAS_ACCOUNT", direction: OUT)
        subscriptions: [ServiceSubscription!]! @relationship(type: "OWNS", direction: OUT)
        contacts: [Contact!]! @relationship(type: "HAD_CONTACT", direction: OUT)
        memberOf: [Customer!]! @relationship(type: "MEMBER_OF", direction: OUT, properties: "Membership")
        members: [Customer!]! @relationship(type: "MEMBER_OF", direction: IN, properties: "Membership")
    }

    type ManagedBy @relationshipProperties {
        role: String
    }

    type Membership @relationshipProperties {
        keyPerson: Boolean @alias(property: "key_person")
        title: String
    }

    type Employee @node {
        id: ID!
        name: String
        role: String
        localNetwork: String @alias(property: "local_network")
    }

    type Account @node {
        id: ID!
        accountType: String @alias(property: "account_type")
        status: String
        openedAt: String @alias(property: "opened_at")
        subscriptions: [ServiceSubscription!]! @relationship(type: "BILLED_TO", direction: IN)
    }

    # GraphQL keeps the name Subscription for its root type, so the label is mapped.
    type ServiceSubscription @node(labels: ["Subscription"]) {
        id: ID!
        serviceNumber: String @alias(property: "service_no")
        productType: String @alias(property: "product_type")
        status: String
        startDate: String @alias(property: "start_date")
        endDate: String @alias(property: "end_date")
        offering: [Offering!]! @relationship(type: "ON_OFFERING", direction: OUT)
    }

    type Offering @node {
        id: ID!
        name: String
    }

    type Contact @node {
        id: ID!
        channel: String
        kind: String
        at: String
        summary: String
        outcome: String
    }
`;

function required(name) {
    const value = process.env[name];
    if (!value) {
        console.error(`${name} is not set (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and PORT are needed)`);
        process.exit(2);
    }
    return value;
}

const driver = neo4j.driver(
    required("NEO4J_URI"),
    neo4j.auth.basic(required("NEO4J_USER"), required("NEO4J_PASSWORD")),
);
const port = Number(required("PORT"));
const database = process.env.NEO4J_DATABASE || "neo4j";

const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
// Stopped by the handlers below, which also close the driver.
const server = new ApolloServer({ schema: await neoSchema.getSchema(), stopOnTerminationSignals: false });
const { url } = await startStandaloneServer(server, {
    context: async () => ({ sessionConfig: { database } }),
    listen: { port, host: "127.0.0.1" },
});
console.log(`peer ready at ${url}`);

async function shutdown() {
    await server.stop();
    await driver.close();
    process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
