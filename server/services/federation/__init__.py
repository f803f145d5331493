"""Federation: remote accounts, posts and media fetched and cached, the documents we serve
to other servers, and the instance itself. Inbound activities are in `inbound`, deliveries in
`outbound`."""
