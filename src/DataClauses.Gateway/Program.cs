using DataClauses.Gateway;

var app = GatewayApp.Build(args);
await GatewayApp.InitialiseAsync(app);
await app.RunAsync();
