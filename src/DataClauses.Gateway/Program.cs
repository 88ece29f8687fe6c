using DataClauses.Gateway;

return await GatewayApp.RunAsync(args);
