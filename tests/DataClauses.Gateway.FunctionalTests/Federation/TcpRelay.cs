using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DataClauses.Gateway.FunctionalTests.Federation;

/// <summary>
/// A loopback TCP relay in front of a node, at the address the contract gives for it: it passes bytes both ways as
/// they are, and lets a test act (kill the node) at the moment a given request has gone through it — a failure in the
/// middle of a request, which a test cannot time from outside otherwise.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private Trap? _trap;

    public TcpRelay(int target)
    {
        _target = target;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port the relay listens on.</summary>
    public int Port { get; }

    /// <summary>
    /// Runs <paramref name="action"/> once, right after the first bytes sent to the node that contain
    /// <paramref name="requestLine"/> (e.g. <c>POST /api/v1/extracts</c>) and the rest of that write have been passed on.
    /// </summary>
    public void OnRequest(string requestLine, Func<Task> action) =>
        Volatile.Write(ref _trap, new Trap(Encoding.ASCII.GetBytes(requestLine), action, Swallow: false));

    /// <summary>
    /// Swallows the first request that contains <paramref name="requestLine"/> and everything sent after it on that
    /// connection, keeping the connection open: to the sender, a node that takes the request and never answers.
    /// </summary>
    public void SwallowRequest(string requestLine) =>
        Volatile.Write(ref _trap, new Trap(Encoding.ASCII.GetBytes(requestLine), () => Task.CompletedTask, Swallow: true));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                using var link = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), watch: true, link.Token);
                var down = PumpAsync(server.GetStream(), client.GetStream(), watch: false, link.Token);
                await Task.WhenAny(up, down);
                await link.CancelAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // One side went away (the node killed, the caller done): the other side is closed with it.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool watch, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            var swallowing = false;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                var sprung = watch && !swallowing && Volatile.Read(ref _trap) is { } trap && buffer.AsSpan(0, read).IndexOf(trap.Marker) >= 0
                    && Interlocked.CompareExchange(ref _trap, null, trap) == trap ? trap : null;
                swallowing |= sprung?.Swallow == true;
                if (!swallowing)
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                if (sprung is not null)
                {
                    await sprung.Action();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The connection is gone: nothing more to pass on.
        }
    }

    private sealed record Trap(byte[] Marker, Func<Task> Action, bool Swallow);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
