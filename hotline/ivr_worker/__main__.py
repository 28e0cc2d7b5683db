from hotline.ivr_worker.worker import main

raise SystemExit(main())
