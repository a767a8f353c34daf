"""``atrium``: the administrator's command line, one module per command group.

``main.py`` holds the parser and ``main()``; ``status.py`` the exit codes and the usage error;
``admin_socket.py`` and ``admin_client.py`` let the commands run inside a running server.
"""
