<?php
// Laravel's queue (illuminate/queue) on its Redis driver, once through phpredis and once through
// Predis: jobs pushed one by one and in bulk, a worker running them, a job released with a
// backoff and then succeeding, a job that fails for good (JobFailed, the job's failed() hook),
// a delayed job, a reserved job that reappears after retry_after, and the worker's events.
//
// Laravel records failed jobs in a database table, not in Redis; here a JobFailed listener keeps
// them, as the framework's own listener would.

require_once 'Illuminate/Queue/autoload.php';
require_once 'Illuminate/Redis/autoload.php';
require_once 'Illuminate/Events/autoload.php';
require_once 'Predis/autoload.php';

use Illuminate\Container\Container;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Events\Dispatcher;
use Illuminate\Queue\Capsule\Manager as Queue;
use Illuminate\Queue\Events\JobExceptionOccurred;
use Illuminate\Queue\Events\JobFailed;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Worker;
use Illuminate\Queue\WorkerOptions;
use Illuminate\Redis\RedisManager;

final class Check
{
    public static function expect(string $what, $actual, $expected): void
    {
        if ($actual !== $expected) {
            throw new RuntimeException("$what: expected " . var_export($expected, true) .
                ', got ' . var_export($actual, true));
        }
    }

    // Laravel schedules in whole seconds: a job released or delayed by N seconds is due at the
    // start of the second N seconds after the current one. The upper bound is loose.
    public static function onTime(string $what, float $actual, float $due, float $slack = 4.0): void
    {
        if ($actual < $due - 0.005) throw new RuntimeException(sprintf('%s ran %.3fs early', $what, $due - $actual));
        if ($actual > $due + $slack) throw new RuntimeException(sprintf('%s ran %.3fs late', $what, $actual - $due));
    }
}

// The job: string jobs name a class whose fire() gets the queue job and its data.
final class CompatJob
{
    /** @var array<string, list<float>> job id => the times it ran */
    public static array $ran = [];
    /** @var array<string, mixed> */
    public static array $results = [];
    /** @var list<string> */
    public static array $failedHooks = [];

    public function fire($job, array $data): void
    {
        $id = $data['id'];
        self::$ran[$id][] = microtime(true);
        switch ($data['kind']) {
            case 'add':
                self::$results[$id] = $data['a'] + $data['b'];
                break;
            case 'flaky':
                if ($job->attempts() === 1) throw new RuntimeException('flaky: first attempt fails');
                self::$results[$id] = 'recovered';
                break;
            case 'broken':
                throw new RuntimeException('broken: always fails');
            case 'delayed':
                self::$results[$id] = 'on time';
                break;
        }
        $job->delete();
    }

    public function failed(array $data, $e): void
    {
        self::$failedHooks[] = $data['id'];
    }
}

final class Exceptions implements ExceptionHandler
{
    public array $reported = [];
    public function report(Throwable $e) { $this->reported[] = $e->getMessage(); }
    public function shouldReport(Throwable $e) { return true; }
    public function render($request, Throwable $e) { throw $e; }
    public function renderForConsole($output, Throwable $e) {}
}

function workload(string $client, int $db): void
{
    CompatJob::$ran = CompatJob::$results = CompatJob::$failedHooks = [];
    $container = new Container();
    Container::setInstance($container);
    $events = new Dispatcher($container);
    $container->instance(\Illuminate\Contracts\Events\Dispatcher::class, $events);
    $container->instance('events', $events);
    $redisConfig = ['client' => $client, 'options' => ['prefix' => 'compat:'],
        'default' => ['host' => getenv('REDIS_HOST') ?: '127.0.0.1',
                      'port' => (int) (getenv('REDIS_PORT') ?: 6379), 'database' => $db]];
    $redis = new RedisManager($container, $client, $redisConfig);
    $container->instance('redis', $redis);
    $redis->connection()->flushdb();

    $queue = new Queue($container);
    $queue->addConnection(['driver' => 'redis', 'connection' => 'default', 'queue' => 'jobs',
                           'retry_after' => 60, 'block_for' => 1]);
    $queue->addConnection(['driver' => 'redis', 'connection' => 'default', 'queue' => 'short',
                           'retry_after' => 1, 'block_for' => null], 'short');
    $manager = $queue->getQueueManager();
    $conn = $queue->getConnection();

    $processed = $failed = $exceptions = [];
    $events->listen(JobProcessed::class, function ($e) use (&$processed) {
        $processed[] = $e->job->payload()['data']['id'];
    });
    $events->listen(JobFailed::class, function ($e) use (&$failed) {
        $failed[$e->job->payload()['data']['id']] = $e->exception->getMessage();
    });
    $events->listen(JobExceptionOccurred::class, function ($e) use (&$exceptions) {
        $exceptions[] = $e->job->payload()['data']['id'];
    });

    for ($i = 0; $i < 10; $i++) $conn->push('CompatJob', ['id' => "add$i", 'kind' => 'add', 'a' => $i, 'b' => 100]);
    $conn->bulk(array_fill(0, 1, 'CompatJob'), ['id' => 'bulk', 'kind' => 'add', 'a' => 1, 'b' => 1]);
    $conn->push('CompatJob', ['id' => 'flaky', 'kind' => 'flaky']);
    $conn->push('CompatJob', ['id' => 'broken', 'kind' => 'broken']);
    $delayedAt = microtime(true);
    $conn->later(2, 'CompatJob', ['id' => 'delayed', 'kind' => 'delayed']);
    Check::expect('size after pushing', $conn->size(), 14);

    $handler = new Exceptions();
    $worker = new Worker($manager, $events, $handler, fn () => false);
    // backoff 1 s, at most 2 attempts.
    $options = new WorkerOptions('default', 1, 128, 60, 0, 2);
    $deadline = microtime(true) + 20;
    while (count($processed) < 13 || count($failed) < 1) {
        if (microtime(true) > $deadline) throw new RuntimeException('timed out waiting for the jobs');
        $worker->runNextJob('default', 'jobs', $options);
    }
    Check::expect('size after processing', $conn->size(), 0);
    sort($processed);
    $expected = array_merge(array_map(fn ($i) => "add$i", range(0, 9)), ['bulk', 'delayed', 'flaky']);
    sort($expected);
    Check::expect('processed events', $processed, $expected);

    for ($i = 0; $i < 10; $i++) {
        Check::expect("add$i", [CompatJob::$results["add$i"], count(CompatJob::$ran["add$i"])], [$i + 100, 1]);
    }
    Check::expect('bulk job', CompatJob::$results['bulk'], 2);
    Check::expect('flaky result', CompatJob::$results['flaky'], 'recovered');
    [$first, $second] = CompatJob::$ran['flaky'];
    Check::onTime('flaky retry', $second, floor($first) + 1);
    Check::expect('failed jobs', $failed, ['broken' => 'broken: always fails']);
    Check::expect('failed() hook', CompatJob::$failedHooks, ['broken']);
    Check::expect('broken runs', count(CompatJob::$ran['broken']), 2);
    [$first, $second] = CompatJob::$ran['broken'];
    Check::onTime('broken retry', $second, floor($first) + 1);
    Check::expect('delayed result', CompatJob::$results['delayed'], 'on time');
    Check::onTime('delayed job', CompatJob::$ran['delayed'][0], floor($delayedAt) + 2);
    sort($exceptions);
    Check::expect('exception events', $exceptions, ['broken', 'broken', 'flaky']);
    Check::expect('reported', count($handler->reported), 3);

    // A job reserved by a worker that dies reappears once retry_after has passed.
    $short = $queue->getConnection('short');
    $short->push('CompatJob', ['id' => 'orphan', 'kind' => 'add', 'a' => 2, 'b' => 3]);
    $job = $short->pop();
    Check::expect('reserved', [$job->attempts(), $short->pop()], [1, null]);
    $reservedAt = microtime(true);
    $again = null;
    while ($again === null && microtime(true) < $reservedAt + 10) {
        $again = $short->pop();
        if ($again === null) usleep(50000);
    }
    if ($again === null) throw new RuntimeException('the reserved job never came back');
    Check::onTime('reserved job expiry', microtime(true), floor($reservedAt) + 1);
    Check::expect('second reservation', [$again->getJobId(), $again->attempts()], [$job->getJobId(), 2]);
    $again->delete();
    Check::expect('short queue size', $short->size(), 0);

    // The keys Laravel's driver uses, under the connection prefix.
    $keys = $redis->connection()->keys('*');
    sort($keys);
    Check::expect('no keys left', $keys, []);
}

function debianVersion(string $package): string
{
    return trim((string) shell_exec('dpkg-query -W -f=\'${Version}\' ' . escapeshellarg($package) . ' 2>/dev/null'));
}

try {
    echo 'compat-version: illuminate/queue ' . debianVersion('php-illuminate-queue') . "\n";
    echo 'compat-version: phpredis ' . phpversion('redis') . "\n";
    echo 'compat-version: predis ' . \Predis\Client::VERSION . "\n";
    workload('phpredis', 0);
    workload('predis', 1);
    echo "laravel-queue: all checks passed\n";
} catch (Throwable $e) {
    fwrite(STDERR, 'laravel-queue: FAILED: ' . $e->getMessage() . "\n" . $e->getTraceAsString() . "\n");
    exit(1);
}
