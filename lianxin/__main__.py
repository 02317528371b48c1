from lianxin.cli.app import main

main()
